package dev.laocoon.batch;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URL;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Core runs inside Spark's class path against the Jackson and protobuf versions it is built and
 * tested with (root pom's jackson.version and protobuf.version), each from one jar only: Spark's
 * own copies do not change core's behaviour. (The job's jar relocates them besides; .ci/run checks it.)
 */
class VersionAlignmentTest {

    static List<URL> copies(String resource) throws IOException {
        return Collections.list(VersionAlignmentTest.class.getClassLoader().getResources(resource));
    }

    @Test
    void jacksonIsCoresVersionFromOneJar() throws IOException {
        String built = BatchInfo.get("jackson");
        assertThat(built).matches("\\d+\\.\\d+\\.\\d+");
        assertThat(com.fasterxml.jackson.databind.cfg.PackageVersion.VERSION.toString()).isEqualTo(built);
        assertThat(com.fasterxml.jackson.core.json.PackageVersion.VERSION.toString()).isEqualTo(built);
        assertThat(copies("com/fasterxml/jackson/databind/ObjectMapper.class")).hasSize(1);
        assertThat(copies("com/fasterxml/jackson/core/JsonFactory.class")).hasSize(1);
        // Spark's Scala module accepts it (it refuses a databind of another minor line when a session starts)
        assertThat(com.fasterxml.jackson.module.scala.DefaultScalaModule$.MODULE$.version().getMinorVersion())
                .isEqualTo(com.fasterxml.jackson.databind.cfg.PackageVersion.VERSION.getMinorVersion());
    }

    @Test
    void protobufIsCoresVersionFromOneJar() throws IOException {
        String built = BatchInfo.get("protobuf");
        assertThat(com.google.protobuf.RuntimeVersion.MAJOR + "." + com.google.protobuf.RuntimeVersion.MINOR + "."
                + com.google.protobuf.RuntimeVersion.PATCH).isEqualTo(built);
        assertThat(copies("com/google/protobuf/Message.class")).hasSize(1);
    }

    @Test
    void lz4AndGuavaComeFromOneJarEach() throws IOException {
        assertThat(copies("net/jpountz/lz4/LZ4Factory.class")).hasSize(1);
        assertThat(copies("com/google/common/collect/ImmutableList.class")).hasSizeLessThanOrEqualTo(1);
    }
}
