"""Identity: password hashing, JWTs, the users service."""
