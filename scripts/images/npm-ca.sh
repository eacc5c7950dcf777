# Sourced by the Dockerfiles' npm steps (`. scripts/images/npm-ca.sh && npm …`), in a RUN that mounts the
# build secret npmca: the CA file the builder's own npm trusts (a TLS-intercepting proxy's, typically).
# npm trusts it for that step only; the file is a secret mount, never in a layer. Without the secret
# (the usual case), nothing changes.
if [ -f /run/secrets/npmca ]; then
  export NODE_EXTRA_CA_CERTS=/run/secrets/npmca npm_config_cafile=/run/secrets/npmca
fi
