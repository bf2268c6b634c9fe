"""JupyterHub integration: the AINativeAuthenticator (the only package importing jupyterhub)."""
