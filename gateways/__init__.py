"""Integrations with services outside Lifeline, one package each (`gateways.stripe`).

The layer above the kernel and below the domain apps: a gateway imports Django, `config` and
the kernel, never an app; apps call it through the package's public names (its __init__).
"""
