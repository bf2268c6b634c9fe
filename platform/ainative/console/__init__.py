"""The staff console: a JupyterHub service at /services/console/ for course staff.

A tornado app (the hub's own stack) signed in with the hub's OAuth (app, handlers),
rendering Jinja2 pages in the hub's look (templates, static). It is one client of the
API: every page is API calls made with a console-scoped token that the API issues in
exchange for the hub's OAuth token (apiclient; ainative.auth.console_tokens). It never
opens the database.
"""
