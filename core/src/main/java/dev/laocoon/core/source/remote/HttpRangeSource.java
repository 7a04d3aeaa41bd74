package dev.laocoon.core.source.remote;

import dev.laocoon.core.source.ByteSource;
import java.io.IOException;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
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
 * <p>Requests go through a {@link RemoteFetcher}: every connection's address is checked by the
 * {@link NetworkGuard}, redirects are followed with the {@code Range} header kept (a hub answers
 * {@code /resolve/...} with a redirect to a CDN), and the URL a redirect led to is read directly for
 * the following blocks (asked again from the original URL once if it stops answering, as a
 * pre-signed URL that expired does).
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

    static final int BLOCK = 64 << 10;
    private static final int CACHED_BLOCKS = 64;
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");

    private final URI uri;
    private final String shown;
    private final RemoteFetcher fetcher;
    private final Map<String, String> headers;
    private volatile URI resolved;
    private final long size;
    private final String etag;
    private long requests;
    private long transferred;
    private IOException failure;
    private final Map<Long, byte[]> cache = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, byte[]> e) {
            return size() > CACHED_BLOCKS;
        }
    };

    /** Opens the object: one request for its first block, which also gives its length and ETag. */
    public HttpRangeSource(URI uri, RemoteFetcher fetcher) throws IOException {
        this(uri, fetcher, Map.of());
    }

    /** As {@link #HttpRangeSource(URI, RemoteFetcher)}, with extra request headers. */
    public HttpRangeSource(URI uri, RemoteFetcher fetcher, Map<String, String> headers) throws IOException {
        this.uri = uri;
        this.shown = RemoteFetcher.shown(uri);
        this.fetcher = fetcher;
        this.headers = Map.copyOf(headers);
        this.resolved = uri;
        RemoteFetcher.Response r = fetch(0, true);
        long[] cr = contentRange(r, 0);
        this.size = cr[2];
        this.etag = r.header("ETag");
        cache.put(0L, r.body());
    }

    /**
     * The first read that failed after the source was opened, or null: an analyser may take a failed
     * read for the end of its data, so the scan asks here whether every read got its bytes.
     */
    public synchronized IOException failure() {
        return failure;
    }

    /** The URL a redirect led to (the URL itself when there was none). */
    public URI resolved() {
        return resolved;
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
            try {
                b = block(block);
            } catch (IOException e) {
                if (failure == null) {
                    failure = e;
                }
                throw e;
            }
            cache.put(block, b);
        }
        int at = (int) (position - block * BLOCK);
        int n = Math.min(len, b.length - at);
        System.arraycopy(b, at, dst, off, n);
        return n;
    }

    private byte[] block(long block) throws IOException {
        RemoteFetcher.Response r = fetch(block * BLOCK, false);
        long[] cr = contentRange(r, block * BLOCK);
        if (cr[2] != size) {
            throw new RemoteInconsistency(shown + " changed length from " + size + " to " + cr[2] + " during the scan");
        }
        String e = r.header("ETag");
        if (etag != null && !etag.equals(e)) {
            throw new RemoteInconsistency(shown + " changed (ETag " + etag + " then " + e + ") during the scan");
        }
        return r.body();
    }

    private RemoteFetcher.Response fetch(long start, boolean first) throws IOException {
        Map<String, String> h = new java.util.HashMap<>(headers);
        h.put("Range", "bytes=" + start + "-" + (start + BLOCK - 1));
        URI from = resolved;
        RemoteFetcher.Response r = fetcher.get(from, h, BLOCK + 1); // never more than a block plus one byte
        count(r);
        if (!first && !from.equals(uri) && (r.status() == 401 || r.status() == 403 || r.status() == 404
                || r.status() == 410)) {
            // a redirect's target (a pre-signed URL) that expired: ask the original URL again, once
            r = fetcher.get(uri, h, BLOCK + 1);
            count(r);
        }
        resolved = r.uri();
        return r;
    }

    private synchronized void count(RemoteFetcher.Response r) {
        requests += r.requests();
        transferred += r.transferred();
    }

    /** {start, end, total} of a 206 answer for the block at {@code start}; refuses anything else. */
    private long[] contentRange(RemoteFetcher.Response r, long start) throws IOException {
        if (r.status() == 200) {
            if (start == 0) {
                throw new RangesIgnored(shown + ": the server ignored the Range request and sent the whole object");
            }
            throw new RemoteInconsistency(shown + ": the server stopped honouring Range requests during the scan");
        }
        if (r.status() == 416 && start == 0) {
            String cr = r.header("Content-Range");
            if ("bytes */0".equals(cr)) {
                return new long[] {0, -1, 0}; // an empty object
            }
        }
        if (r.status() != 206) {
            throw new IOException(shown + ": " + status(r.status()));
        }
        String cr = r.header("Content-Range") == null ? "" : r.header("Content-Range");
        Matcher m = CONTENT_RANGE.matcher(cr);
        if (!m.matches() || m.group(3).equals("*")) {
            throw new RemoteInconsistency(shown + ": Content-Range '" + cr + "' does not give the range and length");
        }
        long s = Long.parseLong(m.group(1));
        long e = Long.parseLong(m.group(2));
        long total = Long.parseLong(m.group(3));
        long expectedEnd = Math.min(start + BLOCK, total) - 1;
        if (s != start || e != expectedEnd || r.truncated() || r.body().length != e - s + 1) {
            throw new RemoteInconsistency(shown + ": asked for bytes " + start + "-" + (start + BLOCK - 1) + ", got '" + cr
                    + "' with " + r.body().length + " body bytes");
        }
        return new long[] {s, e, total};
    }

    /** A status as a person reads it: {@code HTTP 404 (not found)}. */
    static String status(int s) {
        String why = switch (s) {
            case 401 -> "unauthorised: a token is needed";
            case 403 -> "forbidden";
            case 404 -> "not found";
            case 410 -> "gone";
            case 416 -> "range not satisfiable";
            case 429 -> "too many requests, still after retries";
            case 500, 502, 503, 504 -> "server error, still after retries";
            default -> null;
        };
        return "HTTP " + s + (why == null ? "" : " (" + why + ")");
    }
}
