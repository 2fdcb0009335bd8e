/* Internal declarations shared by the test module's source files. */
#ifndef P11SM2_INTERNAL_H
#define P11SM2_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "p11.h"

#define P11SM2_MAX_SLOTS 16
#define P11SM2_MAX_PATH 4096
#define P11SM2_PIN_MIN 4
#define P11SM2_PIN_MAX 64

/* The configuration file (SEALDESK_SM2_TEST_CONF): vendor numbers can change so tests mimic vendors. */
typedef struct p11sm2_conf {
    char store[P11SM2_MAX_PATH];
    CK_ULONG slots;
    CK_ULONG max_pin_tries;
    CK_MECHANISM_TYPE mech_sm2_raw;
    CK_MECHANISM_TYPE mech_sm3_sm2;
    CK_MECHANISM_TYPE mech_sm2_keygen;
    CK_KEY_TYPE key_type_sm2;
    int signature_der; /* 0: raw r||s (64 bytes), 1: DER SEQUENCE{r,s} */
} p11sm2_conf;

typedef struct p11_attr {
    CK_ATTRIBUTE_TYPE type;
    CK_ULONG len;
    unsigned char *val;
} p11_attr;

typedef struct p11_obj {
    CK_OBJECT_HANDLE handle;
    int is_token;              /* persisted in the store file */
    CK_SESSION_HANDLE owner;   /* session objects: the session that made it */
    size_t n;
    p11_attr *attrs;
} p11_obj;

/* One token's persistent state (the store file holds exactly this). */
typedef struct p11_token {
    int initialized;
    int user_pin_set;
    CK_ULONG user_fails;
    CK_ULONG so_fails;
    unsigned char label[32];
    unsigned char serial[16];
    unsigned char so_salt[16], so_hash[32];
    unsigned char user_salt[16], user_hash[32];
    uint64_t next_handle;
    size_t nobj;
    p11_obj *objs; /* token objects only */
} p11_token;

/* conf.c */
int p11sm2_conf_load(p11sm2_conf *conf);

/* store.c */
void p11sm2_token_clear(p11_token *tok);
void p11sm2_obj_free(p11_obj *obj);
CK_RV p11sm2_store_load(const p11sm2_conf *conf, CK_SLOT_ID slot, p11_token *tok);
CK_RV p11sm2_store_save(const p11sm2_conf *conf, CK_SLOT_ID slot, const p11_token *tok);
int p11sm2_store_lock(const p11sm2_conf *conf, CK_SLOT_ID slot);
void p11sm2_store_unlock(int fd);

/* sm2.c */
int p11sm2_sm2_public(const unsigned char d[32], unsigned char pub[65]);
int p11sm2_sm2_generate(unsigned char d[32], unsigned char pub[65]);
/* Signs e (raw: 32 bytes) or M (with_z: message, Z from pub and the default ID); out: DER (<= 72). */
int p11sm2_sm2_sign(const unsigned char d[32], const unsigned char pub[65], int with_z, const unsigned char *in,
                    size_t inlen, unsigned char *out, size_t *outlen);
int p11sm2_der_to_raw(const unsigned char *der, size_t derlen, unsigned char raw[64]);
int p11sm2_pin_hash(const unsigned char salt[16], const unsigned char *pin, size_t len, unsigned char out[32]);
int p11sm2_random(unsigned char *out, size_t len);

#endif
