package dev.laocoon.audit;

import dev.laocoon.core.finding.Location;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The rules for Kubernetes manifests (LAO901-LAO913), evaluated across every manifest of the scan:
 * a pod's ServiceAccount and the NetworkPolicies of its namespace may be in other files.
 */
final class K8sAudit {

    /** One Kubernetes object of a file (the items of a {@code kind: List} are objects of their own). */
    record Obj(Yaml.Y root, Sink sink, String kind, String name, String ns) {
    }

    /** A pod (or the pod a workload, InferenceService or runtime makes). */
    record Pod(Obj owner, Yaml.Y spec, Yaml.Y specKey, Map<String, String> labels, boolean model, boolean evaluateNetwork,
               List<Yaml.Y> containers, String what) {
    }

    /** The chain link's question: which model files of the scan a pod names (see {@link LaocoonAuditor}). */
    interface Chain {
        void link(Sink sink, Yaml.Y scope, Yaml.Y at, String subject, String reach);
    }

    private final List<Obj> objects = new ArrayList<>();
    private final Map<String, Obj> serviceAccounts = new HashMap<>();
    private final List<Obj> policies = new ArrayList<>();
    private final Map<String, String> secretTypes = new HashMap<>();
    private boolean allowedUrlsConfigured;
    private boolean gate;

    static final Set<String> WORKLOADS = Set.of("Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job",
            "CronJob", "ReplicationController");

    /** True when the document is a Kubernetes object (an apiVersion and a kind). */
    static boolean isObject(Yaml.Y d) {
        return d.isMap() && d.str("apiVersion") != null && d.str("kind") != null;
    }

    /** Adds a file's documents (objects and the items of lists). */
    void add(List<Yaml.Y> docs, Sink sink) {
        for (Yaml.Y d : docs) {
            if (!isObject(d)) {
                continue;
            }
            if (d.str("kind").equals("List") || d.str("kind").endsWith("List") && d.get("items") != null) {
                for (Yaml.Y item : d.get("items") == null ? List.<Yaml.Y>of() : d.get("items").items()) {
                    if (isObject(item)) {
                        addObject(item, sink);
                    }
                }
            } else {
                addObject(d, sink);
            }
        }
    }

    private void addObject(Yaml.Y d, Sink sink) {
        Yaml.Y meta = d.get("metadata");
        String name = meta == null ? null : meta.str("name");
        String ns = meta == null ? null : meta.str("namespace");
        Obj o = new Obj(d, sink, d.str("kind"), name == null ? "" : name, ns == null ? "" : ns);
        objects.add(o);
        switch (o.kind()) {
            case "ServiceAccount" -> serviceAccounts.put(o.ns() + "/" + o.name(), o);
            case "NetworkPolicy" -> policies.add(o);
            case "Secret" -> secretTypes.put(o.ns() + "/" + o.name(), d.str("type") == null ? "Opaque" : d.str("type"));
            case "ConfigMap" -> {
                Yaml.Y data = d.get("data");
                if (data != null) {
                    for (String k : data.keys()) {
                        String v = data.str(k);
                        if (v != null && v.contains("allowed_urls")) {
                            allowedUrlsConfigured = true;
                        }
                    }
                }
            }
            case "ClusterStorageContainer" -> {
                Yaml.Y c = d.get("spec") == null ? null : d.get("spec").get("container");
                String image = c == null ? null : c.str("image");
                if (image != null && GATES.matcher(image).find() || GATES.matcher(o.name()).find()) {
                    gate = true;
                }
            }
            default -> {
            }
        }
    }

    static final java.util.regex.Pattern GATES = java.util.regex.Pattern.compile("(?i)laocoon|modelscan|picklescan|model-?gate");

    /** Evaluates every pod of the added objects. */
    void evaluate(Chain chain) {
        for (Obj o : objects) {
            for (Pod p : pods(o)) {
                pod(p, chain);
            }
            if (o.kind().equals("ServiceAccount")) {
                Yaml.Y f = o.root().get("automountServiceAccountToken");
                if (f != null && f.quotedBoolean()) {
                    quoted(o.sink(), o.root(), "automountServiceAccountToken");
                }
            }
        }
    }

    // ------------------------------------------------------------------ which pods

    static final List<String> FRAMEWORKS = List.of("sklearn", "xgboost", "pytorch", "tensorflow", "onnx", "triton",
            "huggingface", "lightgbm", "paddle", "pmml", "mlflow", "model");
    static final java.util.regex.Pattern SERVING = java.util.regex.Pattern.compile(
            "(?i)vllm|text-generation-inference|\\btgi\\b|torchserve|tritonserver|triton|kserve|seldon|mlserver|ollama"
            + "|llama\\.cpp|llama-server|sglang|lmdeploy|huggingface|transformers|model-?server|inference|ray-ml|kaniko"
            + "|buildkit|buildah|docker:.*dind");
    static final Set<String> MODEL_ENV = Set.of("HF_MODEL_ID", "MODEL_ID", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN",
            "STORAGE_URI", "MODEL_NAME", "TRANSFORMERS_CACHE", "HF_HOME", "MODEL_PATH", "MODEL_REPOSITORY");

    private List<Pod> pods(Obj o) {
        Yaml.Y r = o.root();
        Yaml.Y spec = r.get("spec");
        List<Pod> out = new ArrayList<>();
        if (spec == null) {
            return out;
        }
        String kind = o.kind();
        if (WORKLOADS.contains(kind)) {
            Yaml.Y podSpec;
            Yaml.Y key;
            Map<String, String> labels;
            if (kind.equals("Pod")) {
                podSpec = spec;
                key = r.keyOf("spec");
                labels = labels(r.get("metadata"));
            } else {
                Yaml.Y template = spec.get("template");
                if (kind.equals("CronJob")) {
                    Yaml.Y jt = spec.get("jobTemplate");
                    Yaml.Y js = jt == null ? null : jt.get("spec");
                    template = js == null ? null : js.get("template");
                }
                if (template == null || template.get("spec") == null) {
                    return out;
                }
                podSpec = template.get("spec");
                key = template.keyOf("spec");
                labels = labels(template.get("metadata"));
            }
            List<Yaml.Y> cs = containers(podSpec);
            out.add(new Pod(o, podSpec, key, labels, modelPod(cs), true, cs, kind + " " + o.name()));
        } else if (kind.equals("InferenceService")) {
            for (String component : List.of("predictor", "transformer", "explainer")) {
                Yaml.Y c = spec.get(component);
                if (c == null) {
                    continue;
                }
                Map<String, String> labels = labels(r.get("metadata"));
                labels.put("serving.kserve.io/inferenceservice", o.name());
                labels.put("component", component);
                Yaml.Y extra = c.get("labels");
                if (extra != null) {
                    for (String k : extra.keys()) {
                        labels.put(k, extra.str(k) == null ? "" : extra.str(k));
                    }
                }
                List<Yaml.Y> cs = containers(c);
                for (String fw : FRAMEWORKS) {
                    if (c.get(fw) != null && c.get(fw).isMap()) {
                        cs.add(c.get(fw));
                    }
                }
                out.add(new Pod(o, c, spec.keyOf(component), labels, true, true, cs,
                        "InferenceService " + o.name() + " (" + component + ")"));
            }
        } else if (kind.equals("ServingRuntime") || kind.equals("ClusterServingRuntime")) {
            // a template of the pods InferenceServices make: their own entries are evaluated for the network
            List<Yaml.Y> cs = containers(spec);
            out.add(new Pod(o, spec, r.keyOf("spec"), new HashMap<>(), true, false, cs, kind + " " + o.name()));
        } else if (kind.equals("ClusterStorageContainer")) {
            Yaml.Y c = spec.get("container");
            if (c != null) {
                List<Yaml.Y> cs = new ArrayList<>(List.of(c));
                out.add(new Pod(o, spec, r.keyOf("spec"), new HashMap<>(), false, false, cs, kind + " " + o.name()));
            }
        }
        return out;
    }

    private static Map<String, String> labels(Yaml.Y meta) {
        Map<String, String> m = new LinkedHashMap<>();
        Yaml.Y l = meta == null ? null : meta.get("labels");
        if (l != null) {
            for (String k : l.keys()) {
                m.put(k, l.str(k) == null ? "" : l.str(k));
            }
        }
        return m;
    }

    private static List<Yaml.Y> containers(Yaml.Y podSpec) {
        List<Yaml.Y> out = new ArrayList<>();
        for (String k : List.of("initContainers", "containers", "ephemeralContainers")) {
            Yaml.Y cs = podSpec.get(k);
            if (cs != null) {
                out.addAll(cs.items());
            }
        }
        return out;
    }

    private static boolean modelPod(List<Yaml.Y> cs) {
        for (Yaml.Y c : cs) {
            StringBuilder b = new StringBuilder();
            b.append(c.str("image")).append(' ');
            for (Yaml.Y w : words(c)) {
                b.append(w.str()).append(' ');
            }
            if (SERVING.matcher(b).find()) {
                return true;
            }
            Yaml.Y env = c.get("env");
            if (env != null) {
                for (Yaml.Y e : env.items()) {
                    if (e.str("name") != null && MODEL_ENV.contains(e.str("name"))) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** The command and args of a container, as scalars. */
    static List<Yaml.Y> words(Yaml.Y c) {
        List<Yaml.Y> out = new ArrayList<>();
        for (String k : List.of("command", "args")) {
            Yaml.Y v = c.get(k);
            if (v == null) {
                continue;
            }
            if (v.isScalar()) {
                out.add(v);
            }
            for (Yaml.Y w : v.items()) {
                if (w.isScalar()) {
                    out.add(w);
                }
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ the rules

    private void pod(Pod p, Chain chain) {
        Sink sink = p.owner().sink();
        Yaml.Y spec = p.spec();
        for (String f : List.of("hostNetwork", "hostPID", "hostIPC")) {
            if (truth(sink, spec, f)) {
                sink.add(AuditRule.HOST_NAMESPACE, p.what() + " shares the node's " + switch (f) {
                    case "hostNetwork" -> "network namespace (hostNetwork: it reaches the metadata service and node-local services whatever the NetworkPolicies say)";
                    case "hostPID" -> "process namespace (hostPID: it sees and can signal the node's processes)";
                    default -> "IPC namespace (hostIPC)";
                }, spec.keyOf(f), f + ": " + spec.str(f));
            }
        }
        for (Yaml.Y c : p.containers()) {
            Yaml.Y sc = c.get("securityContext");
            if (sc != null) {
                if (truth(sink, sc, "privileged")) {
                    sink.add(AuditRule.PRIVILEGED, "container " + c.str("name") + " of " + p.what()
                            + " is privileged: it has every device and capability of the node", sc.keyOf("privileged"),
                            "privileged: " + sc.str("privileged"));
                }
                for (String f : List.of("allowPrivilegeEscalation", "readOnlyRootFilesystem", "runAsNonRoot")) {
                    truth(sink, sc, f); // only for the quoted-boolean notice
                }
                Yaml.Y caps = sc.get("capabilities");
                Yaml.Y add = caps == null ? null : caps.get("add");
                if (add != null) {
                    for (Yaml.Y cap : add.items()) {
                        String n = cap.str() == null ? "" : cap.str().toUpperCase(Locale.ROOT);
                        if (!n.equals("NET_BIND_SERVICE") && !n.equals("CAP_NET_BIND_SERVICE")) {
                            sink.add(AuditRule.PRIVILEGED, "container " + c.str("name") + " of " + p.what()
                                    + " adds the capability " + cap.str(), cap, "capabilities.add: " + cap.str());
                        }
                    }
                }
            }
            Yaml.Y mounts = c.get("volumeMounts");
            if (mounts != null) {
                for (Yaml.Y m : mounts.items()) {
                    truth(sink, m, "readOnly");
                }
            }
        }
        Yaml.Y volumes = spec.get("volumes");
        if (volumes != null) {
            for (Yaml.Y v : volumes.items()) {
                Yaml.Y hp = v.get("hostPath");
                if (hp == null) {
                    continue;
                }
                String path = hp.str("path") == null ? "" : hp.str("path");
                Yaml.Y at = hp.get("path") == null ? v.keyOf("hostPath") : hp.get("path");
                boolean socket = path.endsWith("docker.sock") || path.endsWith("containerd.sock") || path.endsWith("crio.sock")
                        || path.endsWith("podman.sock") || path.equals("/var/run") || path.equals("/run");
                sink.add(AuditRule.HOST_PATH, p.what() + (socket ? " mounts the container runtime's socket " + path
                        + ": whoever runs in it controls every container of the node" : " mounts the node's folder " + path
                        + " (hostPath)"), at, "hostPath: " + path);
            }
        }
        if (p.model()) {
            token(p);
            registry(p);
        }
        String reach = null;
        if (p.model() && p.evaluateNetwork()) {
            reach = network(p);
        }
        serving(p);
        if (chain != null) {
            chain.link(sink, p.owner().root(), p.specKey(), "pod", reach);
        }
    }

    /** True for a plain boolean true; a quoted boolean is a notice (the API server refuses it) and false. */
    private static boolean truth(Sink sink, Yaml.Y map, String key) {
        Yaml.Y v = map.get(key);
        if (v == null) {
            return false;
        }
        if (v.quotedBoolean()) {
            quoted(sink, map, key);
            return false;
        }
        return Boolean.TRUE.equals(v.bool());
    }

    private static void quoted(Sink sink, Yaml.Y map, String key) {
        Yaml.Y v = map.get(key);
        sink.add(AuditRule.QUOTED_BOOLEAN, key + ": \"" + v.str() + "\" is a string, not a boolean: the API server"
                + " refuses the object (write it unquoted: " + key + ": " + v.str() + ")", map.keyOf(key), key + ": \"" + v.str() + "\"");
    }

    private void token(Pod p) {
        Sink sink = p.owner().sink();
        Yaml.Y spec = p.spec();
        Yaml.Y field = spec.get("automountServiceAccountToken");
        if (field != null && field.quotedBoolean()) {
            quoted(sink, spec, "automountServiceAccountToken");
            return;
        }
        Boolean pod = field == null ? null : field.bool();
        if (Boolean.FALSE.equals(pod)) {
            return;
        }
        String saName = spec.str("serviceAccountName") != null ? spec.str("serviceAccountName")
                : spec.str("serviceAccount") != null ? spec.str("serviceAccount") : "default";
        Obj sa = serviceAccounts.get(p.owner().ns() + "/" + saName);
        if (Boolean.TRUE.equals(pod)) {
            sink.add(AuditRule.SERVICE_ACCOUNT_TOKEN, p.what() + " mounts the token of the service account " + saName
                    + " (automountServiceAccountToken: true" + (sa != null && Boolean.FALSE.equals(saAutomount(sa))
                    ? ", which overrides the ServiceAccount's false" : "") + "): code a model runs in it can call the"
                    + " cluster's API as that account", spec.keyOf("automountServiceAccountToken"), "automountServiceAccountToken: true");
            return;
        }
        Boolean saValue = sa == null ? null : saAutomount(sa);
        if (Boolean.FALSE.equals(saValue)) {
            return;
        }
        List<Location> related = new ArrayList<>();
        if (sa != null) {
            Yaml.Y f = sa.root().get("automountServiceAccountToken");
            Yaml.Y at = f != null ? sa.root().keyOf("automountServiceAccountToken") : sa.root().keyOf("kind");
            related.add(sa.sink().at(at.path(), at.line(), at.column()));
        }
        Yaml.Y at = p.specKey();
        sink.add(AuditRule.SERVICE_ACCOUNT_TOKEN, AuditRule.SERVICE_ACCOUNT_TOKEN.defaultSeverity(), p.what()
                + " mounts the token of the service account " + saName + ": neither the pod nor "
                + (sa == null ? "a ServiceAccount in the scan" : "the ServiceAccount") + " sets automountServiceAccountToken:"
                + " false" + (Boolean.TRUE.equals(saValue) ? " (the ServiceAccount sets true)" : " (the default is true)"),
                at.path(), at.line(), at.column(), "serviceAccountName: " + saName, related);
    }

    private static Boolean saAutomount(Obj sa) {
        Yaml.Y f = sa.root().get("automountServiceAccountToken");
        return f == null || f.quotedBoolean() ? null : f.bool();
    }

    private void registry(Pod p) {
        Sink sink = p.owner().sink();
        Yaml.Y spec = p.spec();
        List<String> pull = new ArrayList<>();
        Yaml.Y ips = spec.get("imagePullSecrets");
        if (ips != null) {
            for (Yaml.Y s : ips.items()) {
                if (s.str("name") != null) {
                    pull.add(s.str("name"));
                }
            }
        }
        List<Yaml.Y> refs = new ArrayList<>();
        Yaml.Y volumes = spec.get("volumes");
        if (volumes != null) {
            for (Yaml.Y v : volumes.items()) {
                Yaml.Y s = v.get("secret");
                if (s != null && s.get("secretName") != null) {
                    refs.add(s.get("secretName"));
                    Yaml.Y items = s.get("items");
                    if (items != null) {
                        for (Yaml.Y it : items.items()) {
                            String k = it.str("key");
                            if (k != null && (k.equals(".dockerconfigjson") || k.equals(".dockercfg"))) {
                                sink.add(AuditRule.REGISTRY_CREDENTIALS, p.what() + " mounts the registry credentials "
                                        + k + " of the secret " + s.str("secretName"), it.get("key"), k);
                            }
                        }
                    }
                }
                Yaml.Y pr = v.get("projected");
                Yaml.Y sources = pr == null ? null : pr.get("sources");
                if (sources != null) {
                    for (Yaml.Y src : sources.items()) {
                        if (src.get("secret") != null && src.get("secret").get("name") != null) {
                            refs.add(src.get("secret").get("name"));
                        }
                    }
                }
            }
        }
        for (Yaml.Y c : p.containers()) {
            Yaml.Y env = c.get("env");
            if (env != null) {
                for (Yaml.Y e : env.items()) {
                    Yaml.Y vf = e.get("valueFrom");
                    Yaml.Y ref = vf == null ? null : vf.get("secretKeyRef");
                    if (ref != null && ref.get("name") != null) {
                        refs.add(ref.get("name"));
                    }
                }
            }
            Yaml.Y envFrom = c.get("envFrom");
            if (envFrom != null) {
                for (Yaml.Y e : envFrom.items()) {
                    Yaml.Y ref = e.get("secretRef");
                    if (ref != null && ref.get("name") != null) {
                        refs.add(ref.get("name"));
                    }
                }
            }
        }
        for (Yaml.Y r : refs) {
            String name = r.str();
            String type = secretTypes.get(p.owner().ns() + "/" + name);
            boolean docker = type != null && (type.equals("kubernetes.io/dockerconfigjson") || type.equals("kubernetes.io/dockercfg"));
            if (docker || pull.contains(name)) {
                sink.add(AuditRule.REGISTRY_CREDENTIALS, p.what() + " mounts the secret " + name + ", which holds registry"
                        + " credentials (" + (docker ? type : "it is the pod's image pull secret") + "): code a model or build"
                        + " runs can push images with them", r, name);
            }
        }
    }

    // ------------------------------------------------------------------ the metadata service

    /** Reports LAO905 and returns how the pod reaches the metadata service, or null when it cannot. */
    private String network(Pod p) {
        Sink sink = p.owner().sink();
        List<Obj> selecting = new ArrayList<>();
        List<Obj> restricting = new ArrayList<>();
        for (Obj np : policies) {
            if (!np.ns().equals(p.owner().ns())) {
                continue;
            }
            Yaml.Y spec = np.root().get("spec");
            if (spec == null || !selects(spec.get("podSelector"), p.labels())) {
                continue;
            }
            selecting.add(np);
            if (restrictsEgress(spec)) {
                restricting.add(np);
            }
        }
        Yaml.Y at = p.specKey();
        if (restricting.isEmpty()) {
            String why = selecting.isEmpty()
                    ? "no NetworkPolicy in the scan selects it" + (p.owner().ns().isEmpty() ? "" : " in namespace " + p.owner().ns())
                    : "the NetworkPolicies that select it (" + names(selecting) + ") do not restrict egress";
            sink.add(AuditRule.METADATA_REACHABLE, p.what() + " can reach the metadata service (169.254.169.254): " + why
                    + ", so its egress is open", at, "egress: unrestricted");
            return "can reach the metadata service";
        }
        for (Cidr target : List.of(Cidr.METADATA_V4, Cidr.METADATA_V6)) {
            String addr = target == Cidr.METADATA_V4 ? "169.254.169.254" : "fd00:ec2::254";
            for (Obj np : restricting) {
                Yaml.Y egress = np.root().get("spec").get("egress");
                if (egress == null) {
                    continue;
                }
                for (Yaml.Y rule : egress.items()) {
                    if (!portsCover(rule.get("ports"), 80)) {
                        continue;
                    }
                    Yaml.Y to = rule.get("to");
                    Yaml.Y hit = null;
                    String how = null;
                    if (to == null || to.items().isEmpty()) {
                        hit = to == null ? rule : rule.keyOf("to");
                        how = to == null ? "an egress rule without 'to' (every destination)" : "'to: []' (every destination)";
                    } else {
                        for (Yaml.Y peer : to.items()) {
                            how = peerCovers(peer, target);
                            if (how != null) {
                                hit = peer;
                                break;
                            }
                        }
                    }
                    if (hit != null) {
                        Location rel = np.sink().at(hit.path(), hit.line(), hit.column());
                        sink.add(AuditRule.METADATA_REACHABLE, AuditRule.METADATA_REACHABLE.defaultSeverity(), p.what()
                                + " can reach the metadata service (" + addr + "): the NetworkPolicy " + np.name() + " allows "
                                + how + " (" + rel.render() + ")", at.path(), at.line(), at.column(), how, List.of(rel));
                        return "can reach the metadata service";
                    }
                }
            }
        }
        return null;
    }

    private static String names(List<Obj> os) {
        StringBuilder b = new StringBuilder();
        for (Obj o : os) {
            b.append(b.length() == 0 ? "" : ", ").append(o.name());
        }
        return b.toString();
    }

    static boolean restrictsEgress(Yaml.Y spec) {
        Yaml.Y types = spec.get("policyTypes");
        if (types == null) {
            return spec.has("egress");
        }
        for (Yaml.Y t : types.items()) {
            if ("Egress".equals(t.str())) {
                return true;
            }
        }
        return false;
    }

    /** The reason a peer covers the address, or null. */
    static String peerCovers(Yaml.Y peer, Cidr target) {
        Yaml.Y ip = peer.get("ipBlock");
        if (ip != null) {
            Cidr block = Cidr.parse(ip.str("cidr"));
            if (block == null) {
                return "the ipBlock " + ip.str("cidr") + ", which is no address block (read as every address)";
            }
            if (!block.covers(target)) {
                return null;
            }
            Yaml.Y except = ip.get("except");
            if (except != null) {
                for (Yaml.Y e : except.items()) {
                    Cidr x = Cidr.parse(e.str());
                    if (x != null && x.covers(target)) {
                        return null;
                    }
                }
            }
            return "the ipBlock " + ip.str("cidr") + (except == null ? " with no except" : " whose except leaves it out");
        }
        Yaml.Y nsSel = peer.get("namespaceSelector");
        Yaml.Y podSel = peer.get("podSelector");
        if (peer.isMap() && peer.keys().isEmpty()) {
            return "an empty peer (every destination)";
        }
        if (peer.has("namespaceSelector") && emptySelector(nsSel) && (podSel == null || emptySelector(podSel))) {
            return "a bare namespaceSelector: {} (every namespace, where node-local metadata agents run)";
        }
        return null;
    }

    private static boolean emptySelector(Yaml.Y sel) {
        return sel == null || (sel.isMap() && sel.get("matchLabels") == null && sel.get("matchExpressions") == null);
    }

    static boolean portsCover(Yaml.Y ports, int port) {
        if (ports == null || ports.items().isEmpty()) {
            return true;
        }
        for (Yaml.Y p : ports.items()) {
            String proto = p.str("protocol");
            if (proto != null && !proto.equals("TCP")) {
                continue;
            }
            String v = p.str("port");
            if (v == null) {
                return true;
            }
            try {
                int n = Integer.parseInt(v);
                String end = p.str("endPort");
                int e = end == null ? n : Integer.parseInt(end);
                if (port >= n && port <= e) {
                    return true;
                }
            } catch (NumberFormatException named) {
                return true; // a named port: which number it is depends on the destination
            }
        }
        return false;
    }

    static boolean selects(Yaml.Y sel, Map<String, String> labels) {
        if (sel == null) {
            return true;
        }
        Yaml.Y ml = sel.get("matchLabels");
        if (ml != null) {
            for (String k : ml.keys()) {
                String want = ml.str(k) == null ? "" : ml.str(k);
                if (!want.equals(labels.get(k))) {
                    return false;
                }
            }
        }
        Yaml.Y me = sel.get("matchExpressions");
        if (me != null) {
            for (Yaml.Y e : me.items()) {
                String key = e.str("key");
                String op = e.str("operator");
                List<String> values = new ArrayList<>();
                if (e.get("values") != null) {
                    for (Yaml.Y v : e.get("values").items()) {
                        values.add(v.str());
                    }
                }
                String have = labels.get(key);
                boolean ok = switch (op == null ? "" : op) {
                    case "In" -> have != null && values.contains(have);
                    case "NotIn" -> have == null || !values.contains(have);
                    case "Exists" -> have != null;
                    case "DoesNotExist" -> have == null;
                    default -> false;
                };
                if (!ok) {
                    return false;
                }
            }
        }
        return true;
    }

    // ------------------------------------------------------------------ serving specifics

    private void serving(Pod p) {
        Sink sink = p.owner().sink();
        boolean modelcar = false;
        for (Yaml.Y c : p.containers()) {
            List<Yaml.Y> ws = words(c);
            for (Yaml.Y w : ws) {
                String t = w.str();
                int at = t.indexOf("--trust-remote-code");
                if (at >= 0 && !t.startsWith("--trust-remote-code=false", at) && !t.startsWith("--trust-remote-code=False", at)) {
                    sink.add(AuditRule.TRUST_REMOTE_CODE, p.what() + " runs its model server with --trust-remote-code: the"
                            + " Python files of the model repository run in the pod", w, "--trust-remote-code");
                }
            }
            Yaml.Y env = c.get("env");
            if (env != null) {
                for (Yaml.Y e : env.items()) {
                    String n = e.str("name");
                    String v = e.str("value");
                    if ("TRUST_REMOTE_CODE".equals(n) && v != null && (v.equalsIgnoreCase("true") || v.equals("1"))) {
                        sink.add(AuditRule.TRUST_REMOTE_CODE, p.what() + " sets TRUST_REMOTE_CODE=" + v + ": the Python files"
                                + " of the model repository run in the pod", e.get("value"), n + "=" + v);
                    }
                    if ("STORAGE_URI".equals(n) && e.get("value") != null) {
                        modelcar |= storageUri(p, e.get("value"));
                    }
                }
            }
            Yaml.Y su = c.get("storageUri");
            if (su != null && su.isScalar()) {
                modelcar |= storageUri(p, su);
            }
            torchserve(p, c, ws);
            triton(p, c, ws);
        }
        Yaml.Y su = p.spec().get("storageUri");
        if (p.owner().kind().equals("InferenceService") && su != null && su.isScalar()) {
            modelcar |= storageUri(p, su);
        }
        if (p.owner().kind().equals("InferenceService") && p.specKey().path().endsWith("predictor") && !gate && !modelcar) {
            Yaml.Y ann = p.owner().root().get("metadata") == null ? null : p.owner().root().get("metadata").get("annotations");
            boolean annotated = false;
            if (ann != null) {
                for (String k : ann.keys()) {
                    annotated |= GATES.matcher(k).find() || ann.str(k) != null && GATES.matcher(ann.str(k)).find();
                }
            }
            if (!annotated) {
                sink.add(AuditRule.NO_GATE, p.what() + " downloads its model through no Laocoon gate: no"
                        + " ClusterStorageContainer in the scan runs one as storage initializer (README: laocoon audit)",
                        p.specKey(), "storage initializer: default");
            }
        }
    }

    /** LAO907 and LAO911 for a storage URI; true for a modelcar. */
    private static boolean storageUri(Pod p, Yaml.Y at) {
        Sink sink = p.owner().sink();
        String u = at.str();
        String l = u.toLowerCase(Locale.ROOT);
        if (l.startsWith("hf://")) {
            String rest = u.substring(5);
            if (!rest.contains("@") || rest.endsWith("@")) {
                sink.add(AuditRule.UNPINNED_MODEL, p.what() + " loads " + u + " without a pinned revision (hf://org/name@COMMIT):"
                        + " what it loads is whatever the repository holds when the pod starts, not what was scanned", at, u);
            }
        } else if (l.startsWith("oci://")) {
            if (!u.contains("@sha256:")) {
                sink.add(AuditRule.UNPINNED_MODEL, p.what() + " loads the image " + u + " by tag, not by digest (@sha256:...)",
                        at, u);
            }
            sink.add(AuditRule.MODELCAR, p.what() + " loads its model as a modelcar (" + u + "): the model comes from an"
                    + " image mounted beside the server, never through the storage initializer or a gate in it", at, u);
            return true;
        }
        return false;
    }

    private void torchserve(Pod p, Yaml.Y c, List<Yaml.Y> ws) {
        String image = c.str("image") == null ? "" : c.str("image");
        boolean ts = image.toLowerCase(Locale.ROOT).contains("torchserve");
        boolean allowed = allowedUrlsConfigured;
        for (Yaml.Y w : ws) {
            ts |= w.str().contains("torchserve");
            allowed |= w.str().contains("allowed_urls");
        }
        Yaml.Y env = c.get("env");
        if (env != null) {
            for (Yaml.Y e : env.items()) {
                allowed |= "TS_ALLOWED_URLS".equals(e.str("name"));
            }
        }
        if (ts && !allowed) {
            Yaml.Y at = c.get("image") != null ? c.get("image") : c;
            sink(p).add(AuditRule.TORCHSERVE_ALLOWED_URLS, p.what() + " runs TorchServe without allowed_urls (config.properties"
                    + " or TS_ALLOWED_URLS): its management API registers and loads a model archive from any URL", at, image);
        }
    }

    private static Sink sink(Pod p) {
        return p.owner().sink();
    }

    private void triton(Pod p, Yaml.Y c, List<Yaml.Y> ws) {
        Yaml.Y poll = null;
        String repo = null;
        for (int i = 0; i < ws.size(); i++) {
            for (String t : ws.get(i).str().split("\\s+")) {
                if (t.equals("--model-control-mode=poll")) {
                    poll = ws.get(i);
                }
                if (t.startsWith("--model-repository=") || t.startsWith("--model-store=")) {
                    repo = t.substring(t.indexOf('=') + 1);
                }
            }
            String t = ws.get(i).str().strip();
            if (t.equals("--model-control-mode") && i + 1 < ws.size() && ws.get(i + 1).str().strip().equals("poll")) {
                poll = ws.get(i);
            }
            if ((t.equals("--model-repository") || t.equals("--model-store")) && i + 1 < ws.size()) {
                repo = ws.get(i + 1).str().strip();
            }
        }
        if (poll == null) {
            return;
        }
        String why;
        if (repo == null) {
            why = "no --model-repository is given";
        } else if (repo.contains("://")) {
            why = "the repository " + repo + " is a bucket: whoever can write to it chooses what the server loads";
        } else {
            Yaml.Y best = null;
            String bestPath = "";
            Yaml.Y mounts = c.get("volumeMounts");
            if (mounts != null) {
                for (Yaml.Y m : mounts.items()) {
                    String mp = m.str("mountPath");
                    if (mp != null && (repo.equals(mp) || repo.startsWith(mp.endsWith("/") ? mp : mp + "/"))
                            && mp.length() > bestPath.length()) {
                        best = m;
                        bestPath = mp;
                    }
                }
            }
            if (best != null && Boolean.TRUE.equals(best.get("readOnly") == null ? null : best.get("readOnly").bool())) {
                return;
            }
            Yaml.Y sc = c.get("securityContext");
            if (best == null && sc != null && sc.get("readOnlyRootFilesystem") != null
                    && Boolean.TRUE.equals(sc.get("readOnlyRootFilesystem").bool())) {
                return;
            }
            why = best == null ? "the repository " + repo + " is on the container's writable filesystem"
                    : "the volume mounted at " + bestPath + " is not readOnly";
        }
        sink(p).add(AuditRule.TRITON_POLL, p.what() + " runs Triton with --model-control-mode=poll and " + why
                + ": any model written there is loaded without a scan", poll, "--model-control-mode=poll");
    }
}
