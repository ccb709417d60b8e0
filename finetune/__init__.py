"""Training recipes for the winrewrite adapter: kept outside the library on purpose."""
