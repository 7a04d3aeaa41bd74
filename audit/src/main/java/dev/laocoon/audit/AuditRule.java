package dev.laocoon.audit;

import dev.laocoon.core.finding.RuleDescriptor;
import dev.laocoon.core.finding.Severity;

/**
 * The audit's rules (LAO9xx): the pods and pipelines around the models. A configuration is never
 * {@code malicious} by itself: the highest is {@code suspicious} (a risk to fix or accept), and
 * {@code notice} for recommendations; only the chain link (LAO950: a pod or workflow that loads a
 * model file judged malicious in the same scan) takes the model's verdict.
 */
enum AuditRule implements RuleDescriptor {
    UNREADABLE("LAO900", "audit-unreadable", Severity.SUSPICIOUS,
            "A manifest, Dockerfile or workflow could not be read or parsed completely; it was not audited."),
    SERVICE_ACCOUNT_TOKEN("LAO901", "k8s-service-account-token", Severity.SUSPICIOUS,
            "A pod that serves or builds models gets a service-account token (the pod's setting, else its ServiceAccount's, else true)."),
    HOST_NAMESPACE("LAO902", "k8s-host-namespace", Severity.SUSPICIOUS,
            "A pod shares the node's network, process or IPC namespace (hostNetwork, hostPID, hostIPC)."),
    PRIVILEGED("LAO903", "k8s-privileged", Severity.SUSPICIOUS,
            "A container is privileged or adds Linux capabilities."),
    HOST_PATH("LAO904", "k8s-host-path", Severity.SUSPICIOUS,
            "A pod mounts a folder of the node (hostPath), or the container runtime's socket."),
    METADATA_REACHABLE("LAO905", "k8s-metadata-reachable", Severity.SUSPICIOUS,
            "A model pod can reach the cloud metadata service (169.254.169.254, fd00:ec2::254): no NetworkPolicy restricts its egress, or one allows it."),
    REGISTRY_CREDENTIALS("LAO906", "k8s-registry-credentials", Severity.SUSPICIOUS,
            "Registry credentials (a dockerconfigjson Secret or an image pull secret) are mounted into a pod that runs models or builds."),
    UNPINNED_MODEL("LAO907", "serving-unpinned-model", Severity.SUSPICIOUS,
            "A storageUri names a model without a pinned revision or digest (hf:// without @commit, oci:// without @sha256)."),
    TRUST_REMOTE_CODE("LAO908", "serving-trust-remote-code", Severity.SUSPICIOUS,
            "A model server runs with --trust-remote-code (vLLM, TGI): the model repository's Python runs in the pod."),
    TORCHSERVE_ALLOWED_URLS("LAO909", "serving-torchserve-allowed-urls", Severity.SUSPICIOUS,
            "TorchServe runs without allowed_urls: its management API registers models from any URL."),
    TRITON_POLL("LAO910", "serving-triton-poll", Severity.SUSPICIOUS,
            "Triton polls a model repository that is writable (--model-control-mode=poll): whatever is written there is loaded."),
    MODELCAR("LAO911", "serving-modelcar", Severity.SUSPICIOUS,
            "A KServe modelcar (storageUri oci://) mounts the model from an image: the storage initializer, and any gate in it, never sees it."),
    NO_GATE("LAO912", "serving-no-gate", Severity.NOTICE,
            "An InferenceService downloads its model through no Laocoon gate (or equivalent) as storage initializer."),
    QUOTED_BOOLEAN("LAO913", "k8s-quoted-boolean", Severity.NOTICE,
            "A quoted \"yes\", \"true\" or \"on\" where Kubernetes wants a boolean: a string, which the API server refuses."),
    PIPE_TO_SHELL("LAO921", "pipe-to-shell", Severity.SUSPICIOUS,
            "A download is piped into a shell or interpreter (curl ... | sh), in a Dockerfile RUN or a CI script."),
    ADD_URL("LAO922", "docker-add-url", Severity.SUSPICIOUS,
            "ADD fetches a URL at build time without --checksum."),
    BUILD_SECRET("LAO923", "docker-secret-in-build-args", Severity.SUSPICIOUS,
            "A secret is passed with ARG or ENV, which the image keeps in its history or configuration."),
    ROOT_USER("LAO924", "docker-root-user", Severity.NOTICE,
            "The final stage sets no USER (or sets root): the container runs as root."),
    UNPINNED_BASE("LAO925", "docker-unpinned-base", Severity.NOTICE,
            "A base image is named by tag, not by digest (@sha256:...)."),
    BUILD_REACHES_INFRA("LAO926", "build-reaches-infra", Severity.SUSPICIOUS,
            "A build step reaches registries, cluster APIs or the metadata service (docker push, crane, skopeo, kubectl, 169.254.169.254, /var/run/secrets, docker.sock)."),
    UNTRUSTED_CHECKOUT("LAO931", "ci-untrusted-checkout", Severity.SUSPICIOUS,
            "A privileged workflow (pull_request_target, workflow_run) checks out the untrusted head of a pull request."),
    EXPRESSION_INJECTION("LAO932", "ci-expression-injection", Severity.SUSPICIOUS,
            "A run: script interpolates ${{ github.event.* }} (text an outsider writes) into the shell."),
    UNPINNED_ACTION("LAO933", "ci-unpinned-action", Severity.NOTICE,
            "A third-party action or include is named by tag or branch, not by a full commit SHA."),
    BROAD_PERMISSIONS("LAO934", "ci-broad-permissions", Severity.SUSPICIOUS,
            "The workflow's token has write-all permissions, or a privileged trigger with the default permissions (notice)."),
    SECRET_EXPOSURE("LAO935", "ci-secret-exposure", Severity.SUSPICIOUS,
            "A secret (HF_TOKEN, ...) is printed, or is given to a job that runs untrusted pull-request code."),
    SELF_HOSTED_UNTRUSTED("LAO936", "ci-self-hosted-untrusted", Severity.SUSPICIOUS,
            "A self-hosted runner runs a job on a pull-request trigger."),
    ARTIFACT_POISONING("LAO937", "ci-artifact-poisoning", Severity.SUSPICIOUS,
            "A privileged workflow uses artifacts or caches that untrusted pull-request runs can write."),
    CHAIN("LAO950", "chain-model-loaded", Severity.MALICIOUS,
            "A pod or workflow loads a model file of the same scan that was judged malicious or suspicious (the finding takes its verdict).");

    private final String id;
    private final String slug;
    private final Severity severity;
    private final String summary;

    AuditRule(String id, String slug, Severity severity, String summary) {
        this.id = id;
        this.slug = slug;
        this.severity = severity;
        this.summary = summary;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public String slug() {
        return slug;
    }

    @Override
    public Severity defaultSeverity() {
        return severity;
    }

    @Override
    public String summary() {
        return summary;
    }
}
