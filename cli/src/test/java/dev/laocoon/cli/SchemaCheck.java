package dev.laocoon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.util.ArrayList;
import java.util.List;

/**
 * Validates reports against the published JSON schemas kept under test resources
 * {@code schemas/} (origins and licences in {@code schemas/README.md}); nothing is fetched.
 */
final class SchemaCheck {
    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_7,
            b -> b.schemaIdResolvers(r -> r
                    .mapPrefix("http://cyclonedx.org/schema/", "classpath:schemas/cyclonedx/")
                    .mapPrefix("https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/master/dist/",
                            "classpath:schemas/gitlab/")));

    /** SARIF's schema is draft-04. */
    private static final SchemaRegistry DRAFT4 = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_4,
            b -> b.schemaIdResolvers(r -> r.mapPrefix("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/",
                    "classpath:schemas/sarif/")));

    private SchemaCheck() {
    }

    static final String SARIF_210 = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

    static final String GITLAB_SAST =
            "https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/master/dist/sast-report-format.json";
    static final String CYCLONEDX_16 = "http://cyclonedx.org/schema/bom-1.6.schema.json";

    /** The schema's complaints about {@code doc} (empty when it is valid). */
    static List<String> errors(String schemaId, JsonNode doc) {
        Schema schema = (schemaId.equals(SARIF_210) ? DRAFT4 : REGISTRY).getSchema(SchemaLocation.of(schemaId));
        List<String> out = new ArrayList<>();
        for (Error e : schema.validate(doc)) {
            out.add(e.toString());
        }
        return out;
    }
}
