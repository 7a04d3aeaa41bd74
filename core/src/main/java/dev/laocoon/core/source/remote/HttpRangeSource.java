package dev.laocoon.core.source.remote;

import dev.laocoon.core.source.ByteSource;
import java.io.IOException;
import java.net.URI;
import java.util.List;
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

    /** The first request's length: the header of most formats, and a small file's whole content. */
    static final int FIRST = 64 << 10;
    /** A read far from what was read before (a zip member's local header) fetches this much. */
    static final int PROBE = 2 << 10;
    /** Sequential reads double the next request's length up to this (read-ahead). */
    static final int MAX_FETCH = 2 << 20;
    /** The end of an object (zip directories, appended data) is fetched in one piece this long. */
    static final int TAIL = 64 << 10;
    private static final long MAX_CACHED = 32L << 20;
    private static final int MAX_PARALLEL = 8;
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
    /** Fetched pieces by start offset; they never overlap. The oldest go first past MAX_CACHED. */
    private final java.util.TreeMap<Long, byte[]> pieces = new java.util.TreeMap<>();
    private final java.util.ArrayDeque<Long> order = new java.util.ArrayDeque<>();
    private long cached;
    private long lastEnd = -1;
    private int lastLength;

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
        RemoteFetcher.Response r = fetch(0, FIRST - 1, true);
        long[] cr = contentRange(r, 0, FIRST - 1);
        this.size = cr[2];
        this.etag = r.header("ETag");
        keep(0, r.body());
        lastEnd = r.body().length;
        lastLength = r.body().length;
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
        Map.Entry<Long, byte[]> e = pieces.floorEntry(position);
        byte[] b;
        long at;
        if (e != null && position < e.getKey() + e.getValue().length) {
            b = e.getValue();
            at = e.getKey();
        } else {
            long[] span = span(position, len);
            try {
                b = piece(span[0], span[1]);
            } catch (IOException x) {
                if (failure == null) {
                    failure = x;
                }
                throw x;
            }
            at = span[0];
            keep(at, b);
            lastLength = b.length;
            lastEnd = at + b.length;
        }
        int from = (int) (position - at);
        int n = Math.min(len, b.length - from);
        System.arraycopy(b, from, dst, off, n);
        return n;
    }

    /**
     * {start, end} (inclusive) of the request for a read at {@code position}: a short probe for a
     * read far from the last one, doubling while reads go on where the last request ended, the whole
     * tail near the end; never overlapping what is already held.
     */
    private long[] span(long position, int len) {
        long start;
        long want;
        if (position >= size - TAIL) {
            start = Math.max(0, size - TAIL);
            want = size - start;
        } else if (position == lastEnd) {
            start = position;
            want = Math.min((long) MAX_FETCH, Math.max(2L * lastLength, len));
        } else {
            start = position & ~511L; // a little before, for readers that step back
            want = Math.min((long) MAX_FETCH, Math.max(PROBE, position - start + len));
        }
        Map.Entry<Long, byte[]> before = pieces.floorEntry(position);
        if (before != null) {
            start = Math.max(start, before.getKey() + before.getValue().length);
        }
        long end = Math.min(size, position + Math.max(want - (position - start), len)) - 1;
        end = Math.min(end, start + MAX_FETCH - 1);
        Long next = pieces.ceilingKey(position + 1);
        if (next != null) {
            end = Math.min(end, next - 1);
        }
        return new long[] {start, Math.max(end, position)};
    }

    private void keep(long start, byte[] b) {
        if (b.length == 0) {
            return;
        }
        pieces.put(start, b);
        order.addLast(start);
        cached += b.length;
        while (cached > MAX_CACHED && order.size() > 1) {
            byte[] gone = pieces.remove(order.removeFirst());
            if (gone != null) {
                cached -= gone.length;
            }
        }
    }

    /**
     * A hint that reads of {@code length} bytes at each of {@code positions} follow (the local
     * headers of a zip's members): the pieces not held yet are fetched now, several at a time, so
     * that the reads that follow wait for none of them. Errors are kept for those reads to meet.
     */
    @Override
    public void prefetch(long[] positions, int length) {
        List<long[]> spans = new java.util.ArrayList<>();
        synchronized (this) {
            long coveredTo = -1;
            long[] sorted = positions.clone();
            java.util.Arrays.sort(sorted);
            for (long p : sorted) {
                if (p < 0 || p >= size || p < coveredTo) {
                    continue;
                }
                Map.Entry<Long, byte[]> e = pieces.floorEntry(p);
                if (e != null && p + length <= e.getKey() + e.getValue().length) {
                    continue;
                }
                long start = Math.max(p & ~511L, e == null ? 0 : Math.max(0, e.getKey() + e.getValue().length));
                start = Math.max(start, coveredTo);
                long end = Math.min(size, Math.max(start + PROBE, p + length)) - 1;
                Long next = pieces.ceilingKey(p + 1);
                if (next != null) {
                    end = Math.min(end, next - 1);
                }
                if (end >= p) {
                    spans.add(new long[] {start, end});
                    coveredTo = end + 1;
                }
            }
        }
        if (spans.isEmpty()) {
            return;
        }
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(
                Math.min(MAX_PARALLEL, spans.size()), r -> {
                    Thread t = new Thread(r, "laocoon-prefetch");
                    t.setDaemon(true);
                    return t;
                });
        try {
            List<java.util.concurrent.Future<byte[]>> got = new java.util.ArrayList<>();
            for (long[] sp : spans) {
                got.add(pool.submit(() -> piece(sp[0], sp[1])));
            }
            for (int i = 0; i < spans.size(); i++) {
                try {
                    byte[] b = got.get(i).get();
                    synchronized (this) {
                        Map.Entry<Long, byte[]> e = pieces.floorEntry(spans.get(i)[0]);
                        boolean overlaps = e != null && spans.get(i)[0] < e.getKey() + e.getValue().length;
                        Long next = pieces.ceilingKey(spans.get(i)[0]);
                        if (!overlaps && (next == null || next > spans.get(i)[1])) {
                            keep(spans.get(i)[0], b);
                        }
                    }
                } catch (java.util.concurrent.ExecutionException x) {
                    // the read that needs this piece asks again and meets the error itself
                }
            }
        } catch (InterruptedException x) {
            Thread.currentThread().interrupt();
        } finally {
            pool.shutdownNow();
        }
    }

    /** Bytes {@code start..end} (inclusive), checked against the first answer's length and ETag. */
    private byte[] piece(long start, long end) throws IOException {
        RemoteFetcher.Response r = fetch(start, end, false);
        long[] cr = contentRange(r, start, end);
        if (cr[2] != size) {
            throw new RemoteInconsistency(shown + " changed length from " + size + " to " + cr[2] + " during the scan");
        }
        String e = r.header("ETag");
        if (etag != null && !etag.equals(e)) {
            throw new RemoteInconsistency(shown + " changed (ETag " + etag + " then " + e + ") during the scan");
        }
        return r.body();
    }

    private RemoteFetcher.Response fetch(long start, long end, boolean first) throws IOException {
        Map<String, String> h = new java.util.HashMap<>(headers);
        h.put("Range", "bytes=" + start + "-" + end);
        int max = (int) (end - start + 1);
        URI from = resolved;
        RemoteFetcher.Response r = fetcher.get(from, h, max + 1); // never more than asked plus one byte
        count(r);
        if (!first && !from.equals(uri) && (r.status() == 401 || r.status() == 403 || r.status() == 404
                || r.status() == 410)) {
            // a redirect's target (a pre-signed URL) that expired: ask the original URL again, once
            r = fetcher.get(uri, h, max + 1);
            count(r);
        }
        resolved = r.uri();
        return r;
    }

    private synchronized void count(RemoteFetcher.Response r) {
        requests += r.requests();
        transferred += r.transferred();
    }

    /** {start, end, total} of a 206 answer for bytes {@code start..end}; refuses anything else. */
    private long[] contentRange(RemoteFetcher.Response r, long start, long askedEnd) throws IOException {
        if (r.status() == 200) {
            if (start == 0) {
                throw new RangesIgnored(shown + ": the server ignored the Range request and sent the whole object");
            }
            throw new RemoteInconsistency(shown + ": the server stopped honouring Range requests during the scan");
        }
        if (r.status() == 416 && start == 0) {
            // a range from byte 0 is unsatisfiable only for an empty object (RFC 9110 14.1.1); some
            // servers (S3 among them) leave out the Content-Range "bytes */0" that says so
            String cr = r.header("Content-Range");
            if (cr == null || "bytes */0".equals(cr)) {
                return new long[] {0, -1, 0};
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
        long expectedEnd = Math.min(askedEnd + 1, total) - 1;
        if (s != start || e != expectedEnd || r.truncated() || r.body().length != e - s + 1) {
            throw new RemoteInconsistency(shown + ": asked for bytes " + start + "-" + askedEnd + ", got '" + cr
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
