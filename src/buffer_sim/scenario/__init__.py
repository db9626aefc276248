"""Scenario input: the schema and loader, declared uncertain parameters, the catalogue of
shipped scenarios and the observed data shipped with the package."""
