"""What the tests share: API helpers (`api`), waiting (`eventually`), factories that build
state through the platform's services (`factories`) and the platform's processes
(`platform`)."""
