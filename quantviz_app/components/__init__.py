"""The page's own pieces of browser code (Streamlit components), each a module and its script."""
