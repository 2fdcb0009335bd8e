/* SM2/SM3 through OpenSSL 3's EVP interface (no deprecated EC_KEY calls). */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>

#include "p11sm2.h"

static const unsigned char DEFAULT_ID[] = "1234567812345678";

/* pub = d*G as 04||x||y; -1 when d is not in [1, n-2]. */
int p11sm2_sm2_public(const unsigned char d[32], unsigned char pub[65])
{
    EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_sm2);
    BIGNUM *bd = BN_bin2bn(d, 32, NULL), *limit = BN_new();
    EC_POINT *p = g ? EC_POINT_new(g) : NULL;
    int rc = -1;
    if (!g || !bd || !limit || !p)
        goto done;
    if (!BN_copy(limit, EC_GROUP_get0_order(g)) || !BN_sub_word(limit, 1))
        goto done;
    if (BN_is_zero(bd) || BN_cmp(bd, limit) >= 0) /* SM2 needs d < n-1 (1+d must be invertible) */
        goto done;
    if (!EC_POINT_mul(g, p, bd, NULL, NULL, NULL))
        goto done;
    if (EC_POINT_point2oct(g, p, POINT_CONVERSION_UNCOMPRESSED, pub, 65, NULL) != 65)
        goto done;
    rc = 0;
done:
    EC_POINT_free(p);
    BN_clear_free(bd);
    BN_free(limit);
    EC_GROUP_free(g);
    return rc;
}

static EVP_PKEY *pkey_from(const unsigned char d[32], const unsigned char pub[65])
{
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL);
    BIGNUM *bd = BN_bin2bn(d, 32, NULL);
    EVP_PKEY *pkey = NULL;
    if (!bld || !ctx || !bd)
        goto done;
    if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, SN_sm2, 0) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, bd) ||
        !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, 65))
        goto done;
    params = OSSL_PARAM_BLD_to_param(bld);
    if (!params || EVP_PKEY_fromdata_init(ctx) <= 0 || EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR, params) <= 0)
        pkey = NULL;
done:
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    EVP_PKEY_CTX_free(ctx);
    BN_clear_free(bd);
    return pkey;
}

int p11sm2_sm2_generate(unsigned char d[32], unsigned char pub[65])
{
    int tries;
    for (tries = 0; tries < 16; tries++) {
        if (RAND_priv_bytes(d, 32) != 1)
            return -1;
        if (p11sm2_sm2_public(d, pub) == 0)
            return 0;
    }
    return -1;
}

int p11sm2_sm2_sign(const unsigned char d[32], const unsigned char pub[65], int with_z, const unsigned char *in,
                    size_t inlen, unsigned char *out, size_t *outlen)
{
    EVP_PKEY *pkey = pkey_from(d, pub);
    int rc = -1;
    size_t cap = *outlen;
    if (!pkey)
        return -1;
    if (with_z) {
        /* The module hashes: Z from the public key and the default ID, e = SM3(Z||M), sign e. */
        EVP_MD_CTX *mctx = EVP_MD_CTX_new();
        EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new(pkey, NULL);
        /* the ID goes on a PKEY_CTX handed to the digest (OpenSSL 3.0 refuses it as an init parameter) */
        if (mctx && pctx && EVP_PKEY_CTX_set1_id(pctx, DEFAULT_ID, 16) > 0) {
            EVP_MD_CTX_set_pkey_ctx(mctx, pctx);
            if (EVP_DigestSignInit(mctx, NULL, EVP_sm3(), NULL, pkey) > 0 && EVP_DigestSignUpdate(mctx, in, inlen) > 0 &&
                EVP_DigestSignFinal(mctx, out, &cap) > 0)
                rc = 0;
        }
        EVP_MD_CTX_free(mctx); /* does not free a PKEY_CTX set with EVP_MD_CTX_set_pkey_ctx */
        EVP_PKEY_CTX_free(pctx);
    } else {
        /* Raw: the caller computed e = SM3(Z||M); OpenSSL's SM2 EVP_PKEY_sign signs the given digest as is. */
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pkey, NULL);
        if (ctx && inlen == 32 && EVP_PKEY_sign_init(ctx) > 0 && EVP_PKEY_sign(ctx, out, &cap, in, inlen) > 0)
            rc = 0;
        EVP_PKEY_CTX_free(ctx);
    }
    EVP_PKEY_free(pkey);
    if (rc == 0)
        *outlen = cap;
    return rc;
}

/* DER SEQUENCE{r,s} -> r||s, 32 bytes each. */
int p11sm2_der_to_raw(const unsigned char *der, size_t derlen, unsigned char raw[64])
{
    const unsigned char *p = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
    const BIGNUM *r, *s;
    int rc = -1;
    if (!sig)
        return -1;
    ECDSA_SIG_get0(sig, &r, &s);
    if (p == der + derlen && BN_bn2binpad(r, raw, 32) == 32 && BN_bn2binpad(s, raw + 32, 32) == 32)
        rc = 0;
    ECDSA_SIG_free(sig);
    return rc;
}

/* SHA-256(salt||PIN): the store never holds a PIN. (A test token: no slow KDF needed.) */
int p11sm2_pin_hash(const unsigned char salt[16], const unsigned char *pin, size_t len, unsigned char out[32])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int outl = 0;
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) > 0 && EVP_DigestUpdate(ctx, salt, 16) > 0 &&
             EVP_DigestUpdate(ctx, pin, len) > 0 && EVP_DigestFinal_ex(ctx, out, &outl) > 0 && outl == 32;
    EVP_MD_CTX_free(ctx);
    return ok ? 0 : -1;
}

int p11sm2_random(unsigned char *out, size_t len)
{
    return len == 0 || RAND_bytes(out, (int)len) == 1 ? 0 : -1;
}
