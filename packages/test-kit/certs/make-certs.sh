#!/usr/bin/env sh
# Makes the committed test certificates in this directory: a test CA and a server certificate it signed, for
# localhost, 127.0.0.1 and ::1, both valid from 2000-01-01 to 2125-01-01 (EC P-256, SHA-256), so a test never
# meets an expired or not-yet-valid certificate whatever the machine's clock says. Run once at authoring time
# (`sh packages/test-kit/certs/make-certs.sh`, OpenSSL 3); tests only read the PEM files and need no openssl.
# The server key is a test-only secret and the CA's key is thrown away: never trust this CA outside tests.
set -eu
cd "$(dirname "$0")"
start=20000101000000Z
end=21250101000000Z
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
touch "$tmp/index.txt"
cat > "$tmp/ca.cnf" <<CNF
[ca]
default_ca = test_ca
[test_ca]
database = $tmp/index.txt
new_certs_dir = $tmp
rand_serial = yes
default_md = sha256
policy = any
copy_extensions = none
unique_subject = no
[any]
commonName = supplied
[ca_ext]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1,IP:::1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
sign() { # csr out extensions [extra args]
  csr=$1 out=$2 ext=$3
  shift 3
  openssl ca -batch -notext -config "$tmp/ca.cnf" -startdate "$start" -enddate "$end" -extensions "$ext" \
    -in "$csr" -out "$out" "$@"
}

openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=modelwire test CA" \
  -keyout "$tmp/ca-key.pem" -out "$tmp/ca.csr"
sign "$tmp/ca.csr" ca.pem ca_ext -selfsign -keyfile "$tmp/ca-key.pem"

openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=localhost" \
  -keyout server-key.pem -out "$tmp/server.csr"
sign "$tmp/server.csr" server.pem server_ext -cert ca.pem -keyfile "$tmp/ca-key.pem"
