"""Accounts: organizations, users, roles, registration, login, verification by the bureau."""
