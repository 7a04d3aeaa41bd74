/**
 * Model signatures in the OpenSSF Model Signing (OMS) v1.0 format: a Sigstore bundle holding a DSSE
 * envelope over an in-toto statement that lists every file's digest. {@link dev.laocoon.core.sign.Signatures}
 * signs with an EC key (optionally with a certificate chain) and verifies key, certificate and
 * Sigstore keyless bundles, including those written by the reference Python implementation.
 */
package dev.laocoon.core.sign;
