/** Not API: OMS model signatures (hashing, BLAKE2b, PEM and EC keys, DSSE, bundle writing, key, certificate and Sigstore checks). */
package dev.laocoon.core.internal.sign;
