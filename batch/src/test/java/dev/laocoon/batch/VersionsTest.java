package dev.laocoon.batch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.laocoon.core.kb.KnowledgeBase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The carry-over rule of --previous, decided without Spark. */
class VersionsTest {
    static final Versions NOW = Versions.current();
    static final KnowledgeBase KB = KnowledgeBase.builtin();

    static Versions with(String laocoon, String globals, String pickle, String other) {
        return new Versions(laocoon, "kb-" + globals + pickle + other, globals, pickle, other);
    }

    static Versions changed(boolean laocoon, boolean globals, boolean pickle, boolean other) {
        return with(laocoon ? "old-build" : NOW.laocoon(), globals ? "old" : NOW.kbGlobals(), pickle ? "old" : NOW.kbPickle(),
                other ? "old" : NOW.kbOther());
    }

    @Test
    void theSameBuildAndKnowledgeBaseCarryEverythingOverButFailures() {
        assertThat(NOW.needsRescan(NOW, false, List.of("pickle"), List.of(), KB)).isFalse();
        assertThat(NOW.needsRescan(NOW, true, List.of(), null, KB)).isTrue();
    }

    @Test
    void anotherBuildRescansEverything() {
        assertThat(NOW.needsRescan(changed(true, false, false, false), false, List.of("safetensors"), List.of(), KB)).isTrue();
    }

    @Test
    void aKnowledgeBaseChangeRescansOnlyBlobsWhoseTracesCouldChange() {
        Versions globalsChanged = changed(false, true, false, false);
        String system = Versions.global("os.system", KB);
        String dict = Versions.global("collections.OrderedDict", KB);
        // the stored entries are today's: nothing that judged these imports changed
        assertThat(NOW.needsRescan(globalsChanged, false, List.of("pytorch-zip"), List.of(system, dict), KB)).isFalse();
        // an import judged by another entry then (or unknown then, listed now)
        assertThat(NOW.needsRescan(globalsChanged, false, List.of("pytorch-zip"), List.of("os.system=unknown"), KB)).isTrue();
        // imports not kept: rescanned
        assertThat(NOW.needsRescan(globalsChanged, false, List.of("pickle"), null, KB)).isTrue();
        // no pickle in it: the globals cannot matter
        assertThat(NOW.needsRescan(globalsChanged, false, List.of("onnx"), List.of(), KB)).isFalse();
        // formats that read no knowledge-base file, and content recognised as nothing
        assertThat(NOW.needsRescan(changed(false, true, true, true), false, List.of("safetensors"), List.of(), KB)).isFalse();
        assertThat(NOW.needsRescan(changed(false, true, true, true), false, List.of(), List.of(), KB)).isFalse();
        // the other formats' files: every blob of a format that reads any
        assertThat(NOW.needsRescan(changed(false, false, false, true), false, List.of("onnx"), List.of(), KB)).isTrue();
        // GGUF chat templates are judged with the Jinja lists: rescanned when those may have changed, not for globals
        assertThat(NOW.needsRescan(changed(false, false, false, true), false, List.of("gguf"), List.of(), KB)).isTrue();
        assertThat(NOW.needsRescan(changed(false, true, true, false), false, List.of("gguf"), List.of(), KB)).isFalse();
        // the pickle analysis' own files: every pickle
        assertThat(NOW.needsRescan(changed(false, false, true, false), false, List.of("joblib"), List.of(dict), KB)).isTrue();
        assertThat(NOW.needsRescan(changed(false, false, true, false), false, List.of("keras-h5"), List.of(), KB)).isFalse();
    }

    @Test
    void anImportKeepsTheEntryThatJudgedIt() {
        assertThat(Versions.global("os.system", KB)).startsWith("os.system=").contains("|malicious|");
        assertThat(Versions.global("nobody.knows.this", KB)).isEqualTo("nobody.knows.this=unknown");
        assertThat(Versions.global("<unresolved x.y>", KB)).endsWith("=unresolved");
    }

    @Test
    void everyKnowledgeBaseFileOfCoreIsInAGroup() throws IOException {
        Path kb = Path.of("../core/src/main/resources/dev/laocoon/kb");
        List<String> grouped = new ArrayList<>(Versions.GLOBALS_FILES);
        grouped.addAll(Versions.PICKLE_FILES);
        grouped.addAll(Versions.OTHER_FILES);
        try (Stream<Path> s = Files.list(kb)) {
            assertThat(s.map(p -> p.getFileName().toString()).toList()).containsExactlyInAnyOrderElementsOf(grouped);
        }
        assertThat(NOW.kb()).hasSize(12);
        assertThat(NOW.laocoon()).matches("\\S+\\+[0-9a-f]{12}");
    }
}
