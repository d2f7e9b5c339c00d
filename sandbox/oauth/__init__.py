"""accounts.butterflymx.com as its Doorkeeper server behaves (§3): discovery, authorize + login page,
token (authorization_code with PKCE, refresh_token with rotation, password, client_credentials), revoke,
introspect, userinfo."""
