package dev.laocoon.core.internal.analysis;

import static dev.laocoon.core.internal.analysis.PickleAnalyzerTest.analyze;
import static dev.laocoon.core.internal.analysis.PickleAnalyzerTest.verdict;
import static org.assertj.core.api.Assertions.assertThat;

import dev.laocoon.core.finding.Finding;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.kb.KnowledgeBase;
import dev.laocoon.core.testutil.PickleBuilder;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Allow-list callables, not modules: library members that write files, fetch URLs, resolve names
 * or call their argument are judged as called wherever they are reached, while the classes and
 * reconstructors that library pickles use stay notices. Payloads are inert strings.
 */
class CallablePolicyTest {

    /** {@code module.name(arg)} at protocol 4, the name resolved by STACK_GLOBAL (dotted names allowed). */
    static byte[] call4(String module, String name, String arg) {
        return PickleBuilder.create().proto(4).binunicode(module).binunicode(name).stackGlobal()
                .binunicode(arg).tuple1().reduce().stop().bytes();
    }

    @Nested
    class LibraryMembersThatTouchFiles {
        @ParameterizedTest(name = "{0}.{1}")
        @CsvSource({"numpy.lib,save", "numpy.lib.npyio,save", "numpy,ndarray.tofile", "numpy,float64.tofile",
                "numpy,matrix.dump", "pandas.core.frame,DataFrame.to_pickle", "pandas,Series.to_csv",
                "sklearn.tree,export_graphviz", "transformers.image_utils,load_image", "torch,_import_dotted_name",
                "torch.utils.checkpoint,checkpoint", "torch.hub,load_state_dict_from_url", "pandas,eval",
                "scipy.io,loadmat.open", "numpy,fromfile", "numpy,memmap"})
        void calledTheyAreMalicious(String module, String name) {
            List<Finding> fs = analyze(call4(module, name, "/tmp/laocoon-test"));
            assertThat(verdict(fs)).as(module + "." + name).isEqualTo(Severity.MALICIOUS);
        }

        @Test
        void keptAsDataTheyStayNotices() {
            byte[] p = PickleBuilder.create().proto(4).binunicode("numpy").binunicode("matrix.tofile").stackGlobal()
                    .stop().bytes();
            assertThat(verdict(analyze(p))).isEqualTo(Severity.NOTICE);
        }

        @Test
        void anotherLibraryFunctionCalledIsSuspicious() {
            List<Finding> fs = analyze(call4("numpy.linalg", "norm", "x"));
            assertThat(fs).anySatisfy(f -> {
                assertThat(f.rule()).isEqualTo(Rule.PICKLE_LIBRARY_CALL);
                assertThat(f.severity()).isEqualTo(Severity.SUSPICIOUS);
            });
        }

        @Test
        void aPolicyLineListingTheFunctionExactlyAllowsIt() {
            KnowledgeBase kb = KnowledgeBase.builtin().withPolicyText(
                    "numpy.linalg.norm  notice  library  reviewed reconstructor\n", "test-policy");
            assertThat(verdict(analyze(call4("numpy.linalg", "norm", "x"), kb))).isEqualTo(Severity.NOTICE);
        }
    }

    @Nested
    class CallablesHandedToCalls {
        @Test
        void aWriterHandedToATrampolineIsJudgedAsCalled() {
            // collections.defaultdict(numpy.lib.npyio.save): the factory is called on a missing key
            byte[] p = PickleBuilder.create().proto(2).global("collections", "defaultdict")
                    .global("transformers.image_utils", "load_image").tuple1().reduce().stop().bytes();
            List<Finding> fs = analyze(p);
            assertThat(verdict(fs)).isEqualTo(Severity.MALICIOUS);
            assertThat(fs).anySatisfy(f -> assertThat(f.message()).contains("transformers.image_utils.load_image").contains("Handed to a call"));
        }

        @Test
        void aCallableBeyondTheArgumentPreviewIsStillSeen() {
            PickleBuilder b = PickleBuilder.create().proto(2).global("sklearn.pipeline", "Pipeline").emptyList().mark();
            for (int i = 0; i < 12; i++) {
                b.none();
            }
            b.global("transformers.image_utils", "load_image").appends().tuple1().reduce().stop();
            assertThat(verdict(analyze(b.bytes()))).isEqualTo(Severity.MALICIOUS);
        }

        @Test
        void classesHandedToReconstructorsAreAllocatedNotCalled() {
            // copyreg._reconstructor(scipy.sparse._csr.csr_matrix, object, None): protocol 0/1 object rebuild
            byte[] p = PickleBuilder.create().proto(2).global("copyreg", "_reconstructor")
                    .global("scipy.sparse._csr", "csr_matrix").global("builtins", "object").none().tuple3().reduce()
                    .stop().bytes();
            assertThat(verdict(analyze(p))).isEqualTo(Severity.NOTICE);
        }

        @Test
        void aLowerCaseLibraryFunctionHandedToAnUnlistedCallIsSuspicious() {
            byte[] p = PickleBuilder.create().proto(2).global("sklearn.pipeline", "Pipeline")
                    .global("scipy.optimize", "minimize").tuple1().reduce().stop().bytes();
            assertThat(analyze(p)).anySatisfy(f -> assertThat(f.rule()).isEqualTo(Rule.PICKLE_LIBRARY_CALL));
        }
    }

    @Nested
    class StaticResolutions {
        @Test
        void getattrOfAnInheritedWriterCalledIsMaliciousAsTheWriter() {
            // getattr(numpy.ndarray, 'tofile')(arr, '/tmp/x')
            byte[] p = PickleBuilder.create().proto(2).global("builtins", "getattr").global("numpy", "ndarray")
                    .str("tofile").tuple2().reduce().str("/tmp/laocoon-test").tuple1().reduce().stop().bytes();
            List<Finding> fs = analyze(p);
            assertThat(verdict(fs)).isEqualTo(Severity.MALICIOUS);
            assertThat(fs).anySatisfy(f -> assertThat(f.message()).contains("numpy.ndarray.tofile"));
        }

        @Test
        void callingAClassReadWithGetattrIsConstructingThatClass() {
            // getattr(torch.nn, 'Linear')(2, 2): not "a call of an object produced while loading"
            byte[] p = PickleBuilder.create().proto(2).global("builtins", "getattr").global("torch", "nn")
                    .str("Linear").tuple2().reduce().binint1(2).binint1(2).tuple2().reduce().stop().bytes();
            List<Finding> fs = analyze(p);
            assertThat(verdict(fs)).as(fs.toString()).isEqualTo(Severity.NOTICE);
            assertThat(fs).noneSatisfy(f -> assertThat(f.rule()).isEqualTo(Rule.PICKLE_NON_CALLABLE_CALL));
        }

        @Test
        void anEnumMemberReadWithGetattrIsANotice() {
            // Python 3.11+: argparse.Namespace with an enum member pickled as getattr(ModelType, 'encoder_or_decoder')
            byte[] p = PickleBuilder.create().proto(2).global("argparse", "Namespace").emptyTuple().newobj()
                    .emptyDict().str("model_type").global("builtins", "getattr")
                    .global("megatron.core.enums", "ModelType").str("encoder_or_decoder").tuple2().reduce()
                    .setitem().build().stop().bytes();
            assertThat(verdict(analyze(p))).isEqualTo(Severity.NOTICE);
        }

        @Test
        void ufuncsOfOldNumpyAreResolvedToTheUfunc() {
            byte[] p = PickleBuilder.create().proto(2).global("numpy.core", "_ufunc_reconstruct")
                    .str("numpy.core.umath").str("add").tuple2().reduce().stop().bytes();
            assertThat(verdict(analyze(p))).isEqualTo(Severity.NOTICE);
        }

        @Test
        void theUfuncResolverNamingAProcessRunnerIsMalicious() {
            byte[] p = PickleBuilder.create().proto(2).global("numpy.core", "_ufunc_reconstruct")
                    .str("os").str("system").tuple2().reduce().str("echo laocoon").tuple1().reduce().stop().bytes();
            assertThat(verdict(analyze(p))).isEqualTo(Severity.MALICIOUS);
        }

        @Test
        void typingAliasesAndCompiledPatternsAreData() {
            // Optional[int] = operator.getitem(typing.Union, (int, type(None))); re.compile('\\w+')
            byte[] p = PickleBuilder.create().proto(2).emptyList().mark()
                    .global("typing", "Any")
                    .global("_operator", "getitem").global("typing", "Union").global("builtins", "int")
                    .global("builtins", "type").none().tuple1().reduce().tuple2().tuple2().reduce()
                    .global("re", "_compile").str("\\w+").binint1(32).tuple2().reduce()
                    .appends().stop().bytes();
            assertThat(analyze(p)).isEmpty();
        }

        @Test
        void getattrWithAComputedNameStaysMalicious() {
            byte[] p = PickleBuilder.create().proto(2).global("builtins", "getattr").global("numpy", "ndarray")
                    .global("builtins", "str").str("tofile").tuple1().reduce().tuple2().reduce().stop().bytes();
            assertThat(analyze(p)).anySatisfy(f -> {
                assertThat(f.severity()).isEqualTo(Severity.MALICIOUS);
                assertThat(f.message()).contains("builtins.getattr");
            });
        }
    }

    @Nested
    class WhatLibraryPicklesCall {
        @Test
        void constructingALibraryClassIsANotice() {
            byte[] p = PickleBuilder.create().proto(2).global("sklearn.tree._tree", "Tree").binint1(3).tuple1().reduce()
                    .stop().bytes();
            assertThat(verdict(analyze(p))).isEqualTo(Severity.NOTICE);
        }

        @Test
        void cythonReconstructorsAreNotices() {
            byte[] p = PickleBuilder.create().proto(2).global("pandas._libs.arrays", "__pyx_unpickle_NDArrayBacked")
                    .global("pandas._libs.arrays", "NDArrayBacked").binint(123456).none().tuple3().reduce().stop().bytes();
            assertThat(verdict(analyze(p))).isEqualTo(Severity.NOTICE);
        }

        @Test
        void listedReconstructorsAreNotices() {
            byte[] p = PickleBuilder.create().proto(2).global("pandas._libs.tslibs.timestamps", "_unpickle_timestamp")
                    .binint(0).none().none().tuple3().reduce().stop().bytes();
            assertThat(verdict(analyze(p))).isEqualTo(Severity.NOTICE);
        }

        @Test
        void classNamespacesWithLowerCaseClassesAreNotices() {
            byte[] p = PickleBuilder.create().proto(2).global("torch.return_types", "max").emptyTuple().tuple1().reduce()
                    .stop().bytes();
            assertThat(verdict(analyze(p))).isEqualTo(Severity.NOTICE);
        }
    }

    /** Neighbours of the red team's examples, found in this project's own red-team pass. */
    @Nested
    class Neighbours {
        @ParameterizedTest(name = "{0}.{1}")
        @CsvSource({"pandas,HDFStore", "pandas,ExcelWriter", "torch.utils.tensorboard,SummaryWriter",
                "torch.package,PackageImporter", "matplotlib.backends.backend_pdf,PdfPages",
                "transformers.dynamic_module_utils,get_class_from_dynamic_module", "datasets,load_dataset"})
        void constructorsAndResolversThatTouchFilesOrFetchCodeAreMalicious(String module, String name) {
            assertThat(verdict(analyze(call4(module, name, "/tmp/laocoon-test")))).as(module + "." + name)
                    .isEqualTo(Severity.MALICIOUS);
        }

        @Test
        void aFileOpeningClassAsTheBaseOfAProtocolZeroRebuildIsConstructed() {
            // copyreg._reconstructor(cls, base, state) calls base.__init__(obj, state)
            byte[] p = PickleBuilder.create().proto(2).global("copyreg", "_reconstructor")
                    .global("sklearn.base", "BaseEstimator").global("pandas", "HDFStore").str("/tmp/laocoon-test").tuple3()
                    .reduce().stop().bytes();
            assertThat(verdict(analyze(p))).isEqualTo(Severity.MALICIOUS);
        }

        @Test
        void aSubmoduleFetchedAsAGlobalThenReadWithGetattrIsJudgedByTheMember() {
            // find_class('numpy', 'lib') returns the submodule; getattr(numpy.lib, 'save')(...)
            byte[] p = PickleBuilder.create().proto(2).global("builtins", "getattr").global("numpy", "lib")
                    .str("save").tuple2().reduce().str("/tmp/laocoon-test").tuple1().reduce().stop().bytes();
            assertThat(verdict(analyze(p))).isEqualTo(Severity.MALICIOUS);
        }

        @Test
        void theUfuncResolverNamingALibraryWriterIsMalicious() {
            byte[] p = PickleBuilder.create().proto(2).global("numpy.core", "_ufunc_reconstruct")
                    .str("numpy.lib.npyio").str("save").tuple2().reduce().str("/tmp/laocoon-test").tuple1().reduce()
                    .stop().bytes();
            assertThat(verdict(analyze(p))).isEqualTo(Severity.MALICIOUS);
        }
    }
}
