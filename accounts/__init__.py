"""Readers' and staff accounts: the user model, profile, roles, MFA policy and account deletion."""
