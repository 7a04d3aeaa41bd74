/**
 * Remote sources (issue: remote sources): the SSRF guard every remote fetch goes through; range-reading
 * HTTP, hub and object-store sources are built on it.
 */
package dev.laocoon.core.source.remote;
