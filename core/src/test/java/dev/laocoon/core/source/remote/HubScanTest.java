package dev.laocoon.core.source.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.laocoon.core.FileReport;
import dev.laocoon.core.ScanReport;
import dev.laocoon.core.Scanner;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.testutil.HubFixture;
import dev.laocoon.core.testutil.PickleBuilder;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** hf:// repositories through a loopback stand-in of the hub's API (nothing else is contacted). */
class HubScanTest {
    static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";
    static final NetworkGuard LOOPBACK = NetworkGuard.allowing(List.of("127.0.0.1", "127.0.0.2"), false);

    HubFixture hub;
    RemoteFetcher fetcher;

    @AfterEach
    void stop() {
        if (fetcher != null) {
            fetcher.close();
        }
        if (hub != null) {
            hub.close();
        }
    }

    static Map<String, byte[]> files() {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("README.md", "# a model\n".getBytes());
        m.put("config.json", "{\"model_type\": \"bert\"}".getBytes());
        m.put("pytorch_model.bin", HttpRangeSourceTest.hostileCheckpoint());
        m.put("copies/pytorch_model.bin", HttpRangeSourceTest.hostileCheckpoint()); // same content: scanned once
        m.put("weights/clean.pkl", PickleBuilder.create().proto(4).mark().str("w").binint(1).dict().stop().bytes());
        return m;
    }

    HubClient client(String token) {
        RemoteFetcher.Builder b = RemoteFetcher.builder(LOOPBACK);
        if (token != null) {
            b.authorization("127.0.0.1", "Bearer " + token);
        }
        fetcher = b.build();
        return new HubClient(fetcher, hub.url(), token != null);
    }

    static Map<String, FileReport> byPath(ScanReport r) {
        Map<String, FileReport> m = new LinkedHashMap<>();
        for (FileReport f : r.files()) {
            m.put(f.path(), f);
        }
        return m;
    }

    @Test
    void aRepositoryIsListedAtItsCommitAcrossPagesAndEachContentScannedOnce() throws IOException {
        hub = new HubFixture().pageSize(2).repo("model", "org/name", COMMIT, files(), false);
        ScanReport r = Scanner.builder().build().scanHub("hf://org/name", client(null));
        Map<String, FileReport> m = byPath(r);
        String base = "hf://org/name@" + COMMIT + "/";
        assertThat(m.keySet()).containsExactly(base + "README.md", base + "config.json", base + "copies/pytorch_model.bin",
                base + "pytorch_model.bin", base + "weights/clean.pkl");
        assertThat(m.get(base + "pytorch_model.bin").verdict()).isEqualTo(Severity.MALICIOUS);
        assertThat(m.get(base + "copies/pytorch_model.bin").verdict()).isEqualTo(Severity.MALICIOUS);
        assertThat(m.get(base + "copies/pytorch_model.bin").findings().get(0).location().file())
                .isEqualTo(base + "copies/pytorch_model.bin");
        assertThat(m.get(base + "weights/clean.pkl").verdict()).as(m.get(base + "weights/clean.pkl").toString()).isEqualTo(Severity.SAFE);
        FileReport ckpt = m.get(base + "pytorch_model.bin");
        assertThat(ckpt.source().revision()).isEqualTo(COMMIT);
        assertThat(ckpt.source().kind()).isEqualTo("hf");
        assertThat(ckpt.sha256()).hasSize(64);
        assertThat(ckpt.source().sha256Claimed()).isTrue();
        // the duplicate was not fetched: only one of the two paths was resolved
        List<String> resolved = new ArrayList<>();
        for (var s : hub.http().seen()) {
            if (s.path().contains("/resolve/")) {
                resolved.add(s.path());
            }
        }
        assertThat(resolved).filteredOn(p -> p.endsWith("pytorch_model.bin")).hasSize(1);
        assertThat(hub.http().seen()).filteredOn(s -> s.path().contains("/tree/")).hasSize(4); // 7 entries, 2 a page
        assertThat(ckpt.source().transferred() + m.get(base + "copies/pytorch_model.bin").source().transferred())
                .isLessThan(1 << 20);
    }

    @Test
    void aPathInTheRepositoryScansThatFileOnly() throws IOException {
        hub = new HubFixture().repo("model", "org/name", COMMIT, files(), false);
        ScanReport r = Scanner.builder().build().scanHub("hf://org/name@main/weights", client(null));
        assertThat(byPath(r).keySet()).containsExactly("hf://org/name@" + COMMIT + "/weights/clean.pkl");
    }

    @Test
    void datasetsAndSpacesAreReadTheSameWay() throws IOException {
        hub = new HubFixture().repo("dataset", "org/data", COMMIT, files(), false)
                .repo("space", "org/app", COMMIT, files(), false);
        ScanReport d = Scanner.builder().build().scanHub("hf://datasets/org/data@" + COMMIT, client(null));
        assertThat(byPath(d)).containsKey("hf://datasets/org/data@" + COMMIT + "/pytorch_model.bin");
        assertThat(byPath(d).get("hf://datasets/org/data@" + COMMIT + "/pytorch_model.bin").verdict())
                .isEqualTo(Severity.MALICIOUS);
        fetcher.close();
        ScanReport s = Scanner.builder().build().scanHub("hf://spaces/org/app", client(null));
        assertThat(byPath(s).get("hf://spaces/org/app@" + COMMIT + "/pytorch_model.bin").verdict())
                .isEqualTo(Severity.MALICIOUS);
    }

    @Test
    void aGatedRepositoryNeedsAToken() throws IOException {
        hub = new HubFixture().repo("model", "org/gated", COMMIT, files(), true);
        Scanner sc = Scanner.builder().build();
        assertThatThrownBy(() -> sc.scanHub("hf://org/gated", client(null)))
                .hasMessageContaining("private or gated").hasMessageContaining("HF_TOKEN");
        fetcher.close();
        assertThatThrownBy(() -> sc.scanHub("hf://org/gated", client("hf_wrong")))
                .hasMessageContaining("not been granted").hasMessageNotContaining("hf_wrong");
        fetcher.close();
        ScanReport r = sc.scanHub("hf://org/gated", client(HubFixture.TOKEN));
        assertThat(r.files()).hasSize(5);
        assertThat(r.toString()).doesNotContain(HubFixture.TOKEN);
        // the token went to the hub's API and resolve paths, never to the CDN the hub redirects to
        assertThat(hub.cdn().seen()).isNotEmpty()
                .allSatisfy(s -> assertThat(s.authorization()).isNull());
    }

    @Test
    void aMissingRepositoryOrRevisionSaysSo() throws IOException {
        hub = new HubFixture().repo("model", "org/name", COMMIT, files(), false);
        Scanner sc = Scanner.builder().build();
        assertThatThrownBy(() -> sc.scanHub("hf://org/name@v9", client(null))).hasMessageContaining("not found");
        assertThatThrownBy(() -> sc.scanHub("hf://org/name/nothing-here.bin", client(null)))
                .hasMessageContaining("no file nothing-here.bin");
    }

    @Test
    void referencesAreParsedStrictly() {
        assertThat(HubClient.parse("hf://org/name")).isEqualTo(new HubClient.Ref("model", "org/name", "main", ""));
        assertThat(HubClient.parse("hf://datasets/o/n@v1.0/a/b.bin"))
                .isEqualTo(new HubClient.Ref("dataset", "o/n", "v1.0", "a/b.bin"));
        assertThat(HubClient.parse("hf://o/n@refs%2Fpr%2F3").revision()).isEqualTo("refs/pr/3");
        assertThatThrownBy(() -> HubClient.parse("hf://gpt2")).hasMessageContaining("organisation and a name");
        assertThatThrownBy(() -> HubClient.parse("hf://o/n/../x")).hasMessageContaining("..");
        assertThatThrownBy(() -> HubClient.parse("hf://o/n?x/y")).hasMessageContaining("not a valid");
    }
}
