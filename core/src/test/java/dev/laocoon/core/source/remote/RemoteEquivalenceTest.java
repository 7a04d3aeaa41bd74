package dev.laocoon.core.source.remote;

import static org.assertj.core.api.Assertions.assertThat;

import dev.laocoon.core.FileReport;
import dev.laocoon.core.ScanReport;
import dev.laocoon.core.Scanner;
import dev.laocoon.core.testutil.HttpFixture;
import dev.laocoon.core.testutil.HubFixture;
import dev.laocoon.core.testutil.RemoteEquivalence;
import java.io.IOException;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The same verdicts and findings for every file scanned locally, over HTTP range reads and through
 * the hub fixture: the project's own samples always, and every file of ../shared/corpus when present.
 * (s3:// is compared the same way in the s3 module, against s3proxy.)
 */
class RemoteEquivalenceTest {
    static final NetworkGuard LOOPBACK = NetworkGuard.allowing(List.of("127.0.0.1", "127.0.0.2"), false);
    static final String COMMIT = "fedcba9876543210fedcba9876543210fedcba98";

    static Map<String, byte[]> files(String set) throws IOException {
        return set.equals("own") ? RemoteEquivalence.samples() : RemoteEquivalence.corpus();
    }

    @ParameterizedTest
    @ValueSource(strings = {"own", "corpus"})
    void overHttpRangeReads(String set) throws IOException {
        Map<String, byte[]> files = files(set);
        org.junit.jupiter.api.Assumptions.assumeFalse(files.isEmpty(), "../shared/corpus not present");
        Map<String, String> remote = new LinkedHashMap<>();
        try (HttpFixture fx = new HttpFixture(); RemoteFetcher f = RemoteFetcher.builder(LOOPBACK).build()) {
            for (Map.Entry<String, byte[]> e : files.entrySet()) {
                fx.put("/" + e.getKey(), e.getValue());
            }
            Scanner s = Scanner.builder().build();
            for (String rel : files.keySet()) {
                URI u = fx.url("/" + rel);
                FileReport r = s.scan(u, f, Map.of(), rel, null);
                remote.put(rel, RemoteEquivalence.shape(r));
            }
        }
        assertThat(RemoteEquivalence.differences(RemoteEquivalence.local(files), remote)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"own", "corpus"})
    void throughTheHub(String set) throws IOException {
        Map<String, byte[]> files = files(set);
        org.junit.jupiter.api.Assumptions.assumeFalse(files.isEmpty(), "../shared/corpus not present");
        Map<String, String> remote = new LinkedHashMap<>();
        try (HubFixture hub = new HubFixture().pageSize(50).repo("model", "org/corpus", COMMIT, files, false);
             RemoteFetcher f = RemoteFetcher.builder(LOOPBACK).build()) {
            ScanReport r = Scanner.builder().build().scanHub("hf://org/corpus", new HubClient(f, hub.url(), false));
            String prefix = "hf://org/corpus@" + COMMIT + "/";
            for (FileReport x : r.files()) {
                remote.put(x.path().substring(prefix.length()), RemoteEquivalence.shape(x));
            }
        }
        assertThat(RemoteEquivalence.differences(RemoteEquivalence.local(files), remote)).isEmpty();
    }
}
