"""The shape compiler: SHACL shapes and SHACL-AF rules compiled to Python checks."""
