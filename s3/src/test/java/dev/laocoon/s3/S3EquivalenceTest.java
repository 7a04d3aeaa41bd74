package dev.laocoon.s3;

import static org.assertj.core.api.Assertions.assertThat;

import dev.laocoon.core.FileReport;
import dev.laocoon.core.ScanReport;
import dev.laocoon.core.Scanner;
import dev.laocoon.core.source.remote.NetworkGuard;
import dev.laocoon.core.source.remote.RemoteFetcher;
import dev.laocoon.core.testutil.RemoteEquivalence;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/** The same verdicts and findings through s3proxy as locally: own samples always, ../shared/corpus when present. */
class S3EquivalenceTest {
    @ParameterizedTest
    @ValueSource(strings = {"own", "corpus"})
    void throughS3(String set) throws Exception {
        Map<String, byte[]> files = set.equals("own") ? RemoteEquivalence.samples() : RemoteEquivalence.corpus();
        Assumptions.assumeFalse(files.isEmpty(), "../shared/corpus not present");
        System.setProperty("aws.disableEc2Metadata", "true");
        BlobStoreContext context = ContextBuilder.newBuilder("transient").credentials("k", "s")
                .overrides(new Properties()).build(BlobStoreContext.class);
        S3Proxy proxy = null;
        Map<String, String> remote = new LinkedHashMap<>();
        try {
            BlobStore store = context.getBlobStore();
            store.createContainerInLocation(null, "corpus");
            for (Map.Entry<String, byte[]> e : files.entrySet()) {
                store.putBlob("corpus", store.blobBuilder(e.getKey()).payload(e.getValue())
                        .contentLength(e.getValue().length).build());
            }
            proxy = S3Proxy.builder().blobStore(store).endpoint(URI.create("http://127.0.0.1:0"))
                    .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, S3ScanTest.KEY, S3ScanTest.SECRET).build();
            proxy.start();
            for (int i = 0; i < 1000 && !"STARTED".equals(proxy.getState()); i++) {
                Thread.sleep(10);
            }
            NetworkGuard guard = NetworkGuard.allowing(List.of("127.0.0.1"), false);
            S3Lister lister = new S3Lister(StaticCredentialsProvider.create(
                    AwsBasicCredentials.create(S3ScanTest.KEY, S3ScanTest.SECRET)));
            Map<String, String> options = Map.of("endpoint", "http://127.0.0.1:" + proxy.getPort(), "pathStyle", "true");
            try (RemoteFetcher f = RemoteFetcher.builder(guard).build()) {
                ScanReport r = Scanner.builder().build().scanObjects(lister.list("s3://corpus/", guard, options), f);
                for (FileReport x : r.files()) {
                    remote.put(x.path().substring("s3://corpus/".length()), RemoteEquivalence.shape(x));
                }
            }
        } finally {
            if (proxy != null) {
                proxy.stop();
            }
            context.close();
        }
        assertThat(RemoteEquivalence.differences(RemoteEquivalence.local(files), remote)).isEmpty();
    }
}
