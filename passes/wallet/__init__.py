"""Wallet passes: a guest's visitor pass in Apple Wallet (a signed ``.pkpass``) and Google Wallet (a
signed "save" link), made with the operator's own certificates and keys from the environment.

- :mod:`.config` reads the settings and loads the certificates and keys (a path or the PEM itself);
  unset or half set, that wallet is off and its button is not shown.
- :mod:`.content` is what both wallets show: the visitor, the building, the QR payload, the dates.
- :mod:`.apple` builds and signs the ``.pkpass``; :mod:`.icons` draws its required icons.
- :mod:`.google` builds and signs the save link's JWT.

Neither wallet's pass is updated afterwards (no pass web service): a revoked pass stays in the wallet,
but its QR code no longer opens a door, and both wallets grey it out after its end date.
"""
