package dev.laocoon.core.source.remote;

import dev.laocoon.core.source.ByteSource;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The bytes of one HTTP(S) object, read with {@code Range} requests in aligned blocks and kept in
 * a small block cache, so that a scan reads what the analysers ask for (a zip checkpoint's end
 * record, directory and pickle members) and not the whole object. Every response is checked: it
 * must be {@code 206} with a {@code Content-Range} for exactly the block asked for, the object's
 * total length and {@code ETag} must not change between requests, and a server that ignores
 * {@code Range} (a {@code 200} with the whole body) is refused rather than read to the end. Any
 * such inconsistency is a {@link RemoteInconsistency}, which the scan turns into a finding, never a pass.
 *
 * <p>First step of the remote-sources issue: redirects are not followed yet, and the host's
 * addresses are checked by the {@link NetworkGuard} once, when the source is opened (the JDK client
 * then resolves the name itself; connecting to the checked address is the next step).
 */
public final class HttpRangeSource implements ByteSource {
    /** The remote object changed or the server did not honour the ranges asked for. */
    public static class RemoteInconsistency extends IOException {
        RemoteInconsistency(String message) {
            super(message);
        }
    }

    /** The server answers a Range request with the whole object (200): read it as a stream instead, bounded. */
    public static final class RangesIgnored extends RemoteInconsistency {
        RangesIgnored(String message) {
            super(message);
        }
    }

    /** A response: status, headers and at most one block of body (the rest is never read). */
    private record Answer(int status, java.net.http.HttpHeaders headers, byte[] body) {
    }

    static final int BLOCK = 64 << 10;
    private static final int CACHED_BLOCKS = 64;
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");

    private final URI uri;
    private final HttpClient client;
    private final Duration timeout;
    private final long size;
    private final String etag;
    private long requests;
    private long transferred;
    private final Map<Long, byte[]> cache = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, byte[]> e) {
            return size() > CACHED_BLOCKS;
        }
    };

    /** Opens the object: one request for its first block, which also gives its length and ETag. */
    public HttpRangeSource(URI uri, HttpClient client, NetworkGuard guard, Duration timeout) throws IOException {
        this.uri = uri;
        this.client = client;
        this.timeout = timeout;
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IOException("not an http or https URL: " + uri);
        }
        checkAddress(uri, guard); // once: the host does not change (redirects are not followed)
        Answer r = fetch(0);
        long[] cr = contentRange(r, 0);
        this.size = cr[2];
        this.etag = r.headers().firstValue("ETag").orElse(null);
        cache.put(0L, r.body());
    }

    public URI uri() {
        return uri;
    }

    /** HTTP requests made so far. */
    public synchronized long requests() {
        return requests;
    }

    /** Body bytes received so far. */
    public synchronized long bytesTransferred() {
        return transferred;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public synchronized int read(long position, byte[] dst, int off, int len) throws IOException {
        if (position >= size || len == 0) {
            return 0;
        }
        long block = position / BLOCK;
        byte[] b = cache.get(block);
        if (b == null) {
            Answer r = fetch(block * BLOCK);
            long[] cr = contentRange(r, block * BLOCK);
            if (cr[2] != size) {
                throw new RemoteInconsistency(uri + " changed length from " + size + " to " + cr[2] + " during the scan");
            }
            String e = r.headers().firstValue("ETag").orElse(null);
            if (etag != null && !etag.equals(e)) {
                throw new RemoteInconsistency(uri + " changed (ETag " + etag + " then " + e + ") during the scan");
            }
            b = r.body();
            cache.put(block, b);
        }
        int at = (int) (position - block * BLOCK);
        int n = Math.min(len, b.length - at);
        System.arraycopy(b, at, dst, off, n);
        return n;
    }

    private Answer fetch(long start) throws IOException {
        long end = start + BLOCK - 1;
        HttpRequest req = HttpRequest.newBuilder(uri).timeout(timeout).header("Range", "bytes=" + start + "-" + end)
                .GET().build();
        HttpResponse<java.io.InputStream> r;
        try {
            try {
                r = client.send(req, HttpResponse.BodyHandlers.ofInputStream());
            } catch (IOException first) {
                // a GET is idempotent: one retry, on a fresh connection, for a dropped or reused one
                r = client.send(req, HttpResponse.BodyHandlers.ofInputStream());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while reading " + uri);
        }
        byte[] body;
        try (java.io.InputStream in = r.body()) {
            // never more than a block plus one byte: a server that sends more is refused, not read on
            body = r.statusCode() == 206 ? in.readNBytes(BLOCK + 1) : new byte[0];
        }
        synchronized (this) {
            requests++;
            transferred += body.length;
        }
        return new Answer(r.statusCode(), r.headers(), body);
    }

    /** Checks every address the URL's host resolves to with the guard; throws when one is refused. */
    public static void checkAddress(URI uri, NetworkGuard guard) throws IOException {
        String host = uri.getHost();
        if (host == null) {
            throw new IOException("no host in " + uri);
        }
        InetAddress lit = NetworkGuard.literal(host);
        InetAddress[] all = lit != null ? new InetAddress[] {lit} : InetAddress.getAllByName(host);
        for (InetAddress a : all) {
            NetworkGuard.Decision d = guard.check(host, a);
            if (!d.allowed()) {
                throw new IOException("refused by the network guard: " + host + " (" + d.reason() + ")");
            }
        }
    }

    /** {start, end, total} of a 206 answer for the block at {@code start}; refuses anything else. */
    private long[] contentRange(Answer r, long start) throws IOException {
        if (r.status() == 200) {
            if (start == 0) {
                throw new RangesIgnored(uri + ": the server ignored the Range request and sent the whole object");
            }
            throw new RemoteInconsistency(uri + ": the server stopped honouring Range requests during the scan");
        }
        if (r.status() == 416 && start == 0) {
            Optional<String> cr = r.headers().firstValue("Content-Range");
            if (cr.isPresent() && cr.get().equals("bytes */0")) {
                return new long[] {0, -1, 0}; // an empty object
            }
        }
        if (r.status() != 206) {
            throw new IOException(uri + ": HTTP " + r.status());
        }
        String cr = r.headers().firstValue("Content-Range").orElse("");
        Matcher m = CONTENT_RANGE.matcher(cr);
        if (!m.matches() || m.group(3).equals("*")) {
            throw new RemoteInconsistency(uri + ": Content-Range '" + cr + "' does not give the range and length");
        }
        long s = Long.parseLong(m.group(1));
        long e = Long.parseLong(m.group(2));
        long total = Long.parseLong(m.group(3));
        long expectedEnd = Math.min(start + BLOCK, total) - 1;
        if (s != start || e != expectedEnd || r.body().length != e - s + 1) {
            throw new RemoteInconsistency(uri + ": asked for bytes " + start + "-" + (start + BLOCK - 1) + ", got '" + cr
                    + "' with " + r.body().length + " body bytes");
        }
        return new long[] {s, e, total};
    }
}
