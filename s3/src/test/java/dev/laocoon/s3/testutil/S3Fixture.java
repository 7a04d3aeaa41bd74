package dev.laocoon.s3.testutil;

import java.net.URI;
import java.util.Map;
import java.util.Properties;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;

/**
 * An S3-compatible server in this process for tests: s3proxy over a transient (in-memory) blob
 * store on 127.0.0.1 and a free port, with fixed test credentials. Used by the s3, server and
 * batch modules' tests (the s3 module's test jar).
 */
public final class S3Fixture implements AutoCloseable {
    public static final String KEY = "laocoon-access";
    public static final String SECRET = "laocoon-secret-key";

    private final BlobStoreContext context;
    private final S3Proxy proxy;

    public S3Fixture() throws Exception {
        // the SDK never asks the instance metadata service, whatever a test's credentials
        System.setProperty("aws.disableEc2Metadata", "true");
        context = ContextBuilder.newBuilder("transient").credentials(KEY, SECRET).overrides(new Properties())
                .build(BlobStoreContext.class);
        proxy = S3Proxy.builder().blobStore(context.getBlobStore()).endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, KEY, SECRET).build();
        proxy.start();
        for (int i = 0; i < 1000 && !"STARTED".equals(proxy.getState()); i++) {
            Thread.sleep(10);
        }
        if (!"STARTED".equals(proxy.getState())) {
            close();
            throw new IllegalStateException("s3proxy did not start: " + proxy.getState());
        }
    }

    /** Puts {@code bytes} at {@code bucket/key}, making the bucket when it is new. */
    public S3Fixture put(String path, byte[] bytes) {
        String bucket = path.substring(0, path.indexOf('/'));
        String key = path.substring(path.indexOf('/') + 1);
        BlobStore store = store();
        if (!store.containerExists(bucket)) {
            store.createContainerInLocation(null, bucket);
        }
        store.putBlob(bucket, store.blobBuilder(key).payload(bytes).contentLength(bytes.length).build());
        return this;
    }

    public BlobStore store() {
        return context.getBlobStore();
    }

    public String endpoint() {
        return "http://127.0.0.1:" + proxy.getPort();
    }

    /** The lister's options for this server: its endpoint, path-style requests, us-east-1. */
    public Map<String, String> options() {
        return Map.of("endpoint", endpoint(), "pathStyle", "true", "region", "us-east-1");
    }

    @Override
    public void close() throws Exception {
        try {
            proxy.stop();
        } finally {
            context.close();
        }
    }
}
