package dev.laocoon.core.internal.analysis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.laocoon.core.finding.Finding;
import dev.laocoon.core.finding.Location;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.kb.KnowledgeBase;
import dev.laocoon.core.internal.pickle.PickleLimits;
import dev.laocoon.core.internal.pickle.PickleMachine;
import dev.laocoon.core.internal.pickle.PickleTrace;
import dev.laocoon.core.source.ArrayByteSource;
import dev.laocoon.core.testutil.PickleBuilder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Each rule as a positive case (the finding appears) and a negative case (it does not). */
class PickleAnalyzerTest {

    static List<Finding> analyze(byte[] data) {
        return analyze(data, KnowledgeBase.builtin());
    }

    static List<Finding> analyze(byte[] data, KnowledgeBase kb) {
        PickleTrace t = PickleMachine.run(new ArrayByteSource(data));
        return new PickleAnalyzer(kb, PickleLimits.DEFAULT).analyze(t, Location.of("t.pkl"));
    }

    static Severity verdict(List<Finding> fs) {
        return fs.stream().map(Finding::severity).reduce(Severity.SAFE, Severity::max);
    }

    static byte[] importOnly(String module, String name) {
        return PickleBuilder.create().proto(2).global(module, name).stop().bytes();
    }

    @Nested
    class DangerousGlobals {
        @Test
        void osSystemIsMaliciousWithTheCallAsEvidence() {
            List<Finding> fs = analyze(PickleBuilder.call("os", "system", "echo hi"));
            assertThat(fs).singleElement().satisfies(f -> {
                assertThat(f.rule()).isEqualTo(Rule.PICKLE_DANGEROUS_GLOBAL);
                assertThat(f.severity()).isEqualTo(Severity.MALICIOUS);
                assertThat(f.evidence()).isEqualTo("os.system('echo hi')");
                assertThat(f.location().render()).isEqualTo("t.pkl@2");
            });
        }

        @Test
        void dataOnlyGlobalsAreSilent() {
            byte[] p = PickleBuilder.create().proto(2).global("collections", "OrderedDict").emptyTuple().reduce()
                    .stop().bytes();
            assertThat(analyze(p)).isEmpty();
        }

        @ParameterizedTest(name = "{0}.{1}")
        @CsvSource({"posix,system", "nt,system", "os,popen", "subprocess,Popen", "builtins,eval", "builtins,exec",
                "pty,spawn", "runpy,_run_code", "timeit,timeit", "pydoc,pipepager", "shutil,rmtree",
                "webbrowser,open", "urllib.request,urlopen", "asyncio.unix_events,_UnixSelectorEventLoop",
                "socket,create_connection", "ctypes,CDLL", "marshal,loads", "pip,main", "cProfile,run",
                "uuid,_get_command_stdout", "torch.utils.collect_env,run", "numpy.testing._private.utils,runstring",
                "_posixsubprocess,fork_exec", "code,interact", "builtins,open", "io,open", "_io,FileIO"})
        void knownCodeRunnersAreMalicious(String module, String name) {
            assertThat(verdict(analyze(importOnly(module, name)))).isEqualTo(Severity.MALICIOUS);
        }

        /** Members of library namespaces (otherwise a notice) that run code or unpickle files. */
        @ParameterizedTest(name = "{0}.{1}")
        @CsvSource({"fastcore.basics,exec_local", "sympy.core.singleton,S", "sympy,simplify", "sympy,N",
                "sympy.printing.preview,preview", "keras.models,model_from_json", "keras.saving,deserialize_keras_object",
                "tf_keras.models,load_model", "tf_keras.src.utils.generic_utils,func_load",
                "numpy.lib._format_impl,read_array", "jax.numpy,load", "sklearn.utils._joblib,load",
                "pytorch_lightning,LightningModule.load_from_checkpoint", "stable_baselines3,PPO.load",
                "gensim.models,Word2Vec.load", "shap,Explainer.load", "nltk.internals,java", "timm.models,load_state_dict",
                "open_clip,create_model_and_transforms", "accelerate.utils,load", "transformers,load_tool"})
        void libraryMembersThatRunCodeAreMalicious(String module, String name) {
            byte[] p = PickleBuilder.create().proto(4).binunicode(module).binunicode(name).stackGlobal().stop().bytes();
            assertThat(verdict(analyze(p))).isEqualTo(Severity.MALICIOUS);
        }

        @ParameterizedTest(name = "{0}.{1}")
        @CsvSource({"transformers.models.bert.modeling_bert,BertModel.from_pretrained", "gensim.models,Doc2Vec.load",
                "xgboost,Booster.load_model", "skorch,NeuralNet.load_params", "thinc.api,Model.from_disk",
                "lightning.pytorch,LightningModule.load_from_checkpoint", "pandas,DataFrame.read_pickle"})
        void inheritedLoaderMethodsReachedAsDottedNamesAreMalicious(String module, String name) {
            byte[] p = PickleBuilder.create().proto(4).binunicode(module).binunicode(name).stackGlobal().stop().bytes();
            assertThat(verdict(analyze(p))).isEqualTo(Severity.MALICIOUS);
            // the class itself, or another member of it, stays what the knowledge base says
            String cls = name.substring(0, name.indexOf('.'));
            byte[] q = PickleBuilder.create().proto(4).binunicode(module).binunicode(cls).stackGlobal().stop().bytes();
            assertThat(verdict(analyze(q))).isLessThan(Severity.MALICIOUS);
        }

        @ParameterizedTest(name = "{0}.{1}")
        @CsvSource({"builtins,getattr", "builtins,__import__", "importlib,import_module", "pkgutil,resolve_name",
                "pydoc,locate", "operator,attrgetter", "operator,methodcaller", "operator,itemgetter",
                "_operator,attrgetter", "functools,partial", "functools,reduce", "copyreg,add_extension",
                "builtins,setattr", "builtins,globals"})
        void resolverTrampolinesAreMalicious(String module, String name) {
            assertThat(verdict(analyze(importOnly(module, name)))).isEqualTo(Severity.MALICIOUS);
        }

        @Test
        void pythonTwoNameRewrittenByTheLoaderIsJudgedAsRewritten() {
            byte[] p = PickleBuilder.create().global("commands", "getoutput").string("'id'").raw(0x85).reduce()
                    .stop().bytes();
            // protocol 0 (no PROTO): the unpickler maps commands -> subprocess
            List<Finding> fs = analyze(PickleBuilder.create().mark().string("'id'").inst("commands", "getoutput").stop().bytes());
            assertThat(fs).anySatisfy(f -> {
                assertThat(f.severity()).isEqualTo(Severity.MALICIOUS);
                assertThat(f.message()).contains("subprocess.getoutput").contains("written as commands.getoutput");
            });
            assertThat(p).isNotEmpty();
        }
    }

    @Nested
    class UnknownAndLibraryGlobals {
        @Test
        void unknownGlobalIsSuspicious() {
            assertThat(analyze(importOnly("mypkg.models", "Thing")))
                    .singleElement().satisfies(f -> {
                        assertThat(f.rule()).isEqualTo(Rule.PICKLE_UNKNOWN_GLOBAL);
                        assertThat(f.severity()).isEqualTo(Severity.SUSPICIOUS);
                    });
        }

        @Test
        void libraryClassIsANotice() {
            assertThat(analyze(importOnly("sklearn.tree._tree", "Tree")))
                    .singleElement().satisfies(f -> {
                        assertThat(f.rule()).isEqualTo(Rule.PICKLE_LIBRARY_GLOBAL);
                        assertThat(f.severity()).isEqualTo(Severity.NOTICE);
                    });
        }

        @ParameterizedTest
        @ValueSource(strings = {"numpy.core.multiarray._reconstruct", "numpy.ndarray", "numpy.dtype",
                "torch._utils._rebuild_tensor_v2", "torch.FloatStorage", "collections.OrderedDict", "builtins.set",
                "_codecs.encode", "datetime.datetime"})
        void dataOnlyGlobalsAreSafe(String path) {
            int dot = path.lastIndexOf('.');
            assertThat(analyze(importOnly(path.substring(0, dot), path.substring(dot + 1)))).isEmpty();
        }

        @Test
        void aPolicyFileCanAllowAProjectClass() {
            KnowledgeBase kb = KnowledgeBase.builtin().withPolicyText("mypkg.models.*  safe  data  our classes", "test");
            assertThat(analyze(importOnly("mypkg.models", "Thing"), kb)).isEmpty();
        }

        @Test
        void aPolicyFileCanDenyAnAllowedGlobal() {
            KnowledgeBase kb = KnowledgeBase.builtin().withPolicyText("collections.OrderedDict malicious", "test");
            assertThat(verdict(analyze(importOnly("collections", "OrderedDict"), kb))).isEqualTo(Severity.MALICIOUS);
        }
    }

    @Nested
    class DottedNames {
        @Test
        void attributeChainThroughAModuleReachesOsSystem() {
            byte[] p = PickleBuilder.create().proto(4).str("torch").str("serialization.os.system").stackGlobal()
                    .str("id").tuple1().reduce().stop().bytes();
            assertThat(analyze(p)).anySatisfy(f -> {
                assertThat(f.severity()).isEqualTo(Severity.MALICIOUS);
                assertThat(f.message()).contains("os.system");
            });
        }

        @Test
        void dunderComponentIsMalicious() {
            byte[] p = PickleBuilder.create().proto(4).str("builtins").str("print.__self__.exec").stackGlobal()
                    .stop().bytes();
            assertThat(analyze(p)).anySatisfy(f -> {
                assertThat(f.rule()).isEqualTo(Rule.PICKLE_DOTTED_NAME);
                assertThat(f.severity()).isEqualTo(Severity.MALICIOUS);
            });
        }

        @Test
        void dottedNameInsideAnAllowedPathIsNotData() {
            byte[] p = PickleBuilder.create().proto(4).str("collections").str("OrderedDict.fromkeys").stackGlobal()
                    .stop().bytes();
            assertThat(verdict(analyze(p))).isGreaterThanOrEqualTo(Severity.SUSPICIOUS);
        }

        @Test
        void plainNameIsNotADottedName() {
            byte[] p = PickleBuilder.create().proto(4).str("collections").str("OrderedDict").stackGlobal().stop().bytes();
            assertThat(analyze(p)).isEmpty();
        }

        @Test
        void getattrOfAnEnumMemberOnALibraryClassIsANotice() {
            // Python 3.12+ pickles enum members as getattr(EnumClass, 'NAME').
            byte[] p = PickleBuilder.create().proto(2).global("builtins", "getattr")
                    .global("transformers.trainer_utils", "IntervalStrategy").str("STEPS").tuple2().reduce()
                    .stop().bytes();
            List<Finding> fs = analyze(p);
            assertThat(verdict(fs)).isEqualTo(Severity.NOTICE);
            assertThat(fs).anySatisfy(f -> assertThat(f.evidence())
                    .isEqualTo("builtins.getattr(transformers.trainer_utils.IntervalStrategy, 'STEPS')"));
        }

        @Test
        void getattrReachingADangerousFunctionStaysMalicious() {
            byte[] p = PickleBuilder.create().proto(2).global("builtins", "getattr")
                    .global("torch", "serialization").str("load").tuple2().reduce().stop().bytes();
            assertThat(verdict(analyze(p))).isEqualTo(Severity.MALICIOUS);
        }

        @Test
        void getattrWithAComputedOperandStaysMalicious() {
            byte[] p = PickleBuilder.create().proto(2).global("builtins", "getattr")
                    .global("builtins", "__import__").str("os").tuple1().reduce().str("system").tuple2().reduce()
                    .stop().bytes();
            assertThat(analyze(p)).anySatisfy(f -> {
                assertThat(f.message()).contains("builtins.getattr");
                assertThat(f.severity()).isEqualTo(Severity.MALICIOUS);
            });
        }

        @Test
        void aDangerousModuleReachedAsAttributeIsMalicious() {
            assertThat(verdict(analyze(importOnly("torch.serialization", "os")))).isEqualTo(Severity.MALICIOUS);
        }
    }

    @Nested
    class ContextRules {
        @Test
        void buildOnAClassIsMalicious() {
            byte[] p = PickleBuilder.create().proto(2).global("numpy", "size").emptyDict().build().stop().bytes();
            assertThat(analyze(p)).anySatisfy(f -> assertThat(f.rule()).isEqualTo(Rule.PICKLE_BUILD_NON_INSTANCE));
        }

        @Test
        void buildOnAnInstanceIsNotFlagged() {
            byte[] p = PickleBuilder.create().proto(2).global("collections", "OrderedDict").emptyTuple().reduce()
                    .emptyDict().build().stop().bytes();
            assertThat(analyze(p)).noneSatisfy(f -> assertThat(f.rule()).isEqualTo(Rule.PICKLE_BUILD_NON_INSTANCE));
        }

        @Test
        void extensionCodeIsSuspicious() {
            byte[] p = PickleBuilder.create().proto(2).ext1(7).stop().bytes();
            assertThat(analyze(p)).singleElement().satisfies(f -> {
                assertThat(f.rule()).isEqualTo(Rule.PICKLE_EXTENSION_CODE);
                assertThat(f.severity()).isEqualTo(Severity.SUSPICIOUS);
            });
        }

        @Test
        void extensionCodeAfterRegistryWriteIsMalicious() {
            byte[] p = PickleBuilder.create().proto(2).global("copyreg", "add_extension")
                    .str("os").str("system").binint1(7).tuple3().reduce().pop().ext1(7).stop().bytes();
            assertThat(analyze(p)).anySatisfy(f -> {
                assertThat(f.rule()).isEqualTo(Rule.PICKLE_EXTENSION_CODE);
                assertThat(f.severity()).isEqualTo(Severity.MALICIOUS);
            });
        }

        @Test
        void nestedPickleIsAnalysedAndItsPayloadReported() {
            byte[] inner = PickleBuilder.call("os", "system", "echo nested");
            byte[] p = PickleBuilder.create().proto(2).global("pickle", "loads").bytes(inner).tuple1().reduce()
                    .stop().bytes();
            List<Finding> fs = analyze(p);
            assertThat(fs).anySatisfy(f -> assertThat(f.rule()).isEqualTo(Rule.PICKLE_NESTED_PICKLE));
            assertThat(fs).anySatisfy(f -> {
                assertThat(f.evidence()).isEqualTo("os.system('echo nested')");
                assertThat(f.location().members()).containsExactly("nested[" + (p.length - 2) + "]");
            });
        }

        @Test
        void base64NestedPickleIsDecodedAndAnalysed() {
            byte[] inner = PickleBuilder.call("subprocess", "getoutput", "id");
            String b64 = Base64.getEncoder().encodeToString(inner);
            byte[] p = PickleBuilder.create().proto(2).global("pickle", "loads")
                    .global("base64", "b64decode").str(b64).tuple1().reduce().tuple1().reduce().stop().bytes();
            assertThat(analyze(p)).anySatisfy(f -> assertThat(f.evidence()).isEqualTo("subprocess.getoutput('id')"));
        }

        @Test
        void callingACallResultIsFlagged() {
            byte[] p = PickleBuilder.create().proto(2).global("mod", "factory").emptyTuple().reduce()
                    .str("x").tuple1().reduce().stop().bytes();
            assertThat(analyze(p)).anySatisfy(f -> assertThat(f.rule()).isEqualTo(Rule.PICKLE_NON_CALLABLE_CALL));
        }

        @Test
        void persistentIdIsANotice() {
            byte[] p = PickleBuilder.create().proto(2).str("0").binpersid().stop().bytes();
            assertThat(analyze(p)).singleElement().satisfies(f -> assertThat(f.rule()).isEqualTo(Rule.PICKLE_PERSISTENT_ID));
        }

        @Test
        void outOfBandBufferIsANotice() {
            byte[] p = PickleBuilder.create().proto(5).nextBuffer().stop().bytes();
            assertThat(analyze(p)).singleElement().satisfies(f -> assertThat(f.rule()).isEqualTo(Rule.PICKLE_OUT_OF_BAND_BUFFER));
        }
    }

    @Nested
    class BrokenStreams {
        @Test
        void payloadThenJunkIsMaliciousAndMalformed() {
            byte[] p = PickleBuilder.create().proto(2).global("os", "system").str("id").tuple1().reduce().raw(0xff)
                    .bytes();
            List<Finding> fs = analyze(p);
            assertThat(fs).extracting(Finding::rule).contains(Rule.PICKLE_DANGEROUS_GLOBAL, Rule.PICKLE_MALFORMED);
        }

        @Test
        void missingStopIsTruncated() {
            byte[] p = PickleBuilder.create().proto(2).none().bytes();
            assertThat(analyze(p)).singleElement().satisfies(f -> {
                assertThat(f.rule()).isEqualTo(Rule.PICKLE_TRUNCATED);
                assertThat(f.severity()).isEqualTo(Severity.SUSPICIOUS);
            });
        }

        @Test
        void completeStreamHasNoStreamFinding() {
            assertThat(analyze(PickleBuilder.create().proto(2).none().stop().bytes())).isEmpty();
        }

        @Test
        void payloadInTheSecondPickleIsFound() {
            byte[] p = PickleBuilder.create().proto(2).none().stop().raw(PickleBuilder.call("os", "system", "id")).bytes();
            assertThat(analyze(p)).anySatisfy(f -> assertThat(f.location().pickleIndex()).isEqualTo(1));
        }

        @Test
        void trailingBytesAreANotice() {
            byte[] p = PickleBuilder.create().proto(2).none().stop().ascii("\u00ff\u00fe").bytes();
            assertThat(analyze(p)).singleElement().satisfies(f -> assertThat(f.rule()).isEqualTo(Rule.PICKLE_TRAILING_DATA));
        }

        @Test
        void frameInconsistencyIsSuspicious() {
            byte[] p = PickleBuilder.create().proto(4).frame(2).str("ab").stop().bytes();
            assertThat(analyze(p)).anySatisfy(f -> {
                assertThat(f.rule()).isEqualTo(Rule.PICKLE_FRAME_INCONSISTENCY);
                assertThat(f.severity()).isEqualTo(Severity.SUSPICIOUS);
            });
        }

        @Test
        void hittingALimitIsSuspiciousNeverSafe() {
            PickleBuilder b = PickleBuilder.create().proto(4);
            for (int i = 0; i < 100; i++) {
                b.none().memoize().pop();
            }
            PickleTrace t = PickleMachine.run(new ArrayByteSource(b.none().stop().bytes()), 0,
                    PickleLimits.DEFAULT.withMaxMemo(10));
            List<Finding> fs = new PickleAnalyzer(KnowledgeBase.builtin(), PickleLimits.DEFAULT).analyze(t, Location.of("x"));
            assertThat(fs).singleElement().satisfies(f -> {
                assertThat(f.rule()).isEqualTo(Rule.ANALYSIS_INCOMPLETE);
                assertThat(f.severity()).isEqualTo(Severity.SUSPICIOUS);
            });
        }
    }

    @Test
    void textProtocolPayload() {
        byte[] p = "cos\nsystem\n(S'echo hi'\ntR.".getBytes(StandardCharsets.ISO_8859_1);
        assertThat(analyze(p)).singleElement().satisfies(f -> assertThat(f.evidence()).isEqualTo("os.system('echo hi')"));
    }
}
