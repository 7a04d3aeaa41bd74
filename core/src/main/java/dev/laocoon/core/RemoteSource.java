package dev.laocoon.core;

/**
 * Where a remotely scanned file came from, as reports show it under {@code source}.
 *
 * @param kind          {@code http}, {@code hf} or {@code s3}
 * @param url           the URL the file was read from (for a hub file, its {@code /resolve/} URL at the commit)
 * @param revision      the commit a hub revision was resolved to, or null
 * @param requests      HTTP requests made for this file (redirect hops and retries included)
 * @param transferred   body bytes received for this file
 * @param sha256Claimed true when the report's SHA-256 is the one the source claims (a hub's LFS
 *                      object id, an object store's checksum) rather than computed from every byte
 */
public record RemoteSource(String kind, String url, String revision, long requests, long transferred,
                           boolean sha256Claimed) {
}
