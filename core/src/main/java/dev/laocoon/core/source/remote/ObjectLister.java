package dev.laocoon.core.source.remote;

import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.Map;

/**
 * A remote scheme provided by an optional module (the {@code s3} module's {@code s3://}), found with
 * {@link java.util.ServiceLoader}: it lists what a URL names as objects that are then read by
 * range requests through the caller's {@link RemoteFetcher} (so the network guard sees every
 * connection that carries the bytes judged).
 */
public interface ObjectLister {
    /**
     * One object to scan: its report name, the URL its bytes are read from (perhaps pre-signed), the
     * URL reports show for it ({@code s3://bucket/key}: never a pre-signed one), the headers its
     * requests need, and what the listing claims (size, or -1; SHA-256, or null).
     */
    record RemoteObject(String name, URI url, String shownUrl, Map<String, String> headers, long size,
                        String claimedSha256, String kind, String revision) {
    }

    /**
     * The lister of {@code scheme} from the modules on the class path (the thread's context class
     * loader first, as Spark's executors load a job's jars there, then this interface's), or null.
     */
    static ObjectLister find(String scheme) {
        java.util.LinkedHashSet<ClassLoader> loaders = new java.util.LinkedHashSet<>();
        if (Thread.currentThread().getContextClassLoader() != null) {
            loaders.add(Thread.currentThread().getContextClassLoader());
        }
        loaders.add(ObjectLister.class.getClassLoader());
        for (ClassLoader cl : loaders) {
            for (ObjectLister l : java.util.ServiceLoader.load(ObjectLister.class, cl)) {
                if (l.scheme().equals(scheme)) {
                    return l;
                }
            }
        }
        return null;
    }

    /** The scheme handled, without {@code ://} ({@code s3}). */
    String scheme();

    /**
     * The objects {@code url} names (one object, or every object under a prefix), in order.
     *
     * @param options settings given on the command line or by the embedding service
     *                (for {@code s3}: {@code endpoint}, {@code region}, {@code pathStyle})
     * @throws IOException when the URL cannot be listed (no such bucket, no access, refused address)
     */
    List<RemoteObject> list(String url, NetworkGuard guard, Map<String, String> options) throws IOException;

    /**
     * Writes local files as objects ({@code s3://bucket/key} to the file written there), all or
     * one failing with an IOException (objects already written stay: writers choose fresh keys).
     * The default: this scheme cannot be written.
     *
     * @param options as for {@link #list}
     */
    default void upload(Map<String, java.nio.file.Path> objects, NetworkGuard guard, Map<String, String> options)
            throws IOException {
        throw new IOException(scheme() + "://: writing objects is not supported");
    }
}
