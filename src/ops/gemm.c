/* GEMM through CLBlast: the only file that includes clblast_c.h. CLBlast compiles its kernels on
 * the first call per process and shape class (slow on PoCL: see the ops tests' timings). */
#include <clblast_c.h>

#include "ops/ops.h"
#include "util/status.h"

int op_gemm(struct runtime *rt, bool trans_a, bool trans_b, int m, int n, int k, float alpha,
            cl_mem a, size_t a_off, int lda, cl_mem b, size_t b_off, int ldb, float beta,
            cl_mem c, size_t c_off, int ldc)
{
    if (m <= 0 || n <= 0 || k <= 0 || lda <= 0 || ldb <= 0 || ldc <= 0)
        return clnet_errorf(CLNET_ERR_INTERNAL,
                            "gemm: bad shape M=%d N=%d K=%d lda=%d ldb=%d ldc=%d", m, n, k, lda,
                            ldb, ldc);
    cl_command_queue queue = runtime_queue(rt);
    CLBlastStatusCode status = CLBlastSgemm(
        CLBlastLayoutRowMajor, trans_a ? CLBlastTransposeYes : CLBlastTransposeNo,
        trans_b ? CLBlastTransposeYes : CLBlastTransposeNo, (size_t)m, (size_t)n, (size_t)k,
        alpha, a, a_off, (size_t)lda, b, b_off, (size_t)ldb, beta, c, c_off, (size_t)ldc, &queue,
        NULL);
    if (status != CLBlastSuccess)
        return clnet_errorf((int)status,
                            "CLBlastSgemm (%s%s, M=%d N=%d K=%d, lda=%d ldb=%d ldc=%d, offsets "
                            "%zu %zu %zu): %s",
                            trans_a ? "A^T" : "A", trans_b ? " B^T" : " B", m, n, k, lda, ldb,
                            ldc, a_off, b_off, c_off, clnet_status_name((int)status));
    return CLNET_OK;
}
