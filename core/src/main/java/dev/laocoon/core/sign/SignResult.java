package dev.laocoon.core.sign;

import java.nio.file.Path;
import java.util.List;

/**
 * A written bundle: the method ({@code key} or {@code certificate}), the subject (model name and
 * root digest), every signed resource and the key hint recorded in the bundle.
 */
public record SignResult(Path bundle, String method, String subjectName, String subjectDigest,
        List<Resource> resources, String keyHint, long bytesHashed) {
    public SignResult {
        resources = List.copyOf(resources);
    }
}
