"""The quantviz page: streamlit and matplotlib live here, the numbers come from ``quantviz``."""
