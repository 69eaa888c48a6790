"""The views of the page: one module and one fragment each."""
