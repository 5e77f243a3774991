"""Users, password hashing, JWT access tokens and the `CurrentUser` dependency."""
