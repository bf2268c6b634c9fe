"""JupyterHub integration, the only package importing jupyterhub.

The AINativeAuthenticator (authenticator, accounts) with its pages: token login
(handlers), joining a course (signup), one-time password resets (reset); how an account
maps to hub groups and roles (model); the StudentUserSpawner (spawner); and the hub's
configuration from Settings (jupyterhub_config).
"""
