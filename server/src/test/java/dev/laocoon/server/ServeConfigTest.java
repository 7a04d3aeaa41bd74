package dev.laocoon.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServeConfigTest {
    @Test
    void commandLineOptionsKeepTheConfigFilesTenants(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("serve.properties");
        Files.writeString(f, "quota.requestsPerMinute=0\ntenant.acme.tokenSha256=" + "ab".repeat(32) + "\n");
        ServeConfig c = ServeConfig.read(f);
        Properties cli = new Properties();
        cli.setProperty("port", "0"); // as laocoon serve --config F --port 0
        cli.setProperty("data", dir.resolve("data").toString());
        c.apply(cli);
        assertThat(c.tenants).containsKey("acme");
        assertThat(c.tenants.get("acme").tokenHashes()).containsExactly("ab".repeat(32));
        assertThat(c.port).isZero();
        assertThat(c.defaultQuota.requestsPerMinute()).isZero();
    }
}
