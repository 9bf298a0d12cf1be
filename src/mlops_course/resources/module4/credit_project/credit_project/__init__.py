"""A small credit-default project: configuration, data, model and its CI/CD stages."""
