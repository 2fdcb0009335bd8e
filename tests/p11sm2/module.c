/* SealDesk's SM2 test token: a PKCS#11 2.40 module with vendor-numbered SM2 mechanisms, real PIN flags
 * and a PIN that locks, keeping its objects in a file per token. NOT a secure token (keys sit in a file).
 * One mutex serialises every call; the store is re-read whenever another process may have changed it. */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p11sm2.h"

#define EXPORT __attribute__((visibility("default")))
#define MAX_SESSIONS 1024
#define SIG_MAX 72
#define HANDLE_SESSION_BIT 0x800000UL

static const unsigned char EC_PARAMS_SM2[] = {0x06, 0x08, 0x2A, 0x81, 0x1C, 0xCF, 0x55, 0x01, 0x82, 0x2D};

typedef struct slot_state {
    p11_token tok;
    p11_obj *sobjs; /* session objects (this process only) */
    size_t nsobj;
    CK_ULONG next_session_obj;
    int login;      /* -1: nobody, else CKU_USER / CKU_SO (per application, all sessions of the token) */
} slot_state;

typedef struct session {
    CK_SESSION_HANDLE handle; /* 0: free entry */
    CK_SLOT_ID slot;
    CK_FLAGS flags;
    /* find */
    int find_active;
    CK_OBJECT_HANDLE *found;
    size_t nfound, pos;
    /* sign */
    int sign_active, sign_multi, sign_done;
    CK_MECHANISM_TYPE sign_mech;
    unsigned char sign_d[32], sign_pub[65];
    unsigned char *sign_buf; /* accumulated message (multi-part) */
    size_t sign_len, sign_cap;
    unsigned char sig[SIG_MAX];
    size_t siglen;
} session;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static int g_init;
static p11sm2_conf g_conf;
static slot_state g_slots[P11SM2_MAX_SLOTS];
static session g_sessions[MAX_SESSIONS];
static CK_SESSION_HANDLE g_next_session = 1;

#define LOCK() pthread_mutex_lock(&g_lock)
#define UNLOCK() pthread_mutex_unlock(&g_lock)
#define ENTER()                                                                                              \
    do {                                                                                                     \
        LOCK();                                                                                              \
        if (!g_init) {                                                                                       \
            UNLOCK();                                                                                        \
            return CKR_CRYPTOKI_NOT_INITIALIZED;                                                             \
        }                                                                                                    \
    } while (0)
#define LEAVE(rv)                                                                                            \
    do {                                                                                                     \
        CK_RV leave_rv_ = (rv);                                                                              \
        UNLOCK();                                                                                            \
        return leave_rv_;                                                                                    \
    } while (0)

static void pad(unsigned char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    memset(dst, ' ', size);
    memcpy(dst, src, n < size ? n : size);
}

/* ---- attributes and objects ---- */

static p11_attr *attr_find(p11_obj *o, CK_ATTRIBUTE_TYPE type)
{
    size_t i;
    for (i = 0; i < o->n; i++)
        if (o->attrs[i].type == type)
            return &o->attrs[i];
    return NULL;
}

static int attr_set(p11_obj *o, CK_ATTRIBUTE_TYPE type, const void *val, CK_ULONG len)
{
    p11_attr *a = attr_find(o, type);
    unsigned char *copy = malloc(len ? len : 1);
    if (!copy)
        return -1;
    if (len)
        memcpy(copy, val, len);
    if (!a) {
        p11_attr *na = realloc(o->attrs, (o->n + 1) * sizeof(p11_attr));
        if (!na) {
            free(copy);
            return -1;
        }
        o->attrs = na;
        a = &o->attrs[o->n++];
        a->type = type;
    } else {
        memset(a->val, 0, a->len);
        free(a->val);
    }
    a->val = copy;
    a->len = len;
    return 0;
}

static int attr_default(p11_obj *o, CK_ATTRIBUTE_TYPE type, const void *val, CK_ULONG len)
{
    return attr_find(o, type) ? 0 : attr_set(o, type, val, len);
}

static int attr_ulong(p11_obj *o, CK_ATTRIBUTE_TYPE type, CK_ULONG *out)
{
    p11_attr *a = attr_find(o, type);
    if (!a || a->len != sizeof(CK_ULONG))
        return -1;
    memcpy(out, a->val, sizeof(CK_ULONG));
    return 0;
}

static int attr_bool(p11_obj *o, CK_ATTRIBUTE_TYPE type, int dflt)
{
    p11_attr *a = attr_find(o, type);
    if (!a || a->len != 1)
        return dflt;
    return a->val[0] != 0;
}

static int is_bool_attr(CK_ATTRIBUTE_TYPE t)
{
    switch (t) {
    case CKA_TOKEN: case CKA_PRIVATE: case CKA_TRUSTED: case CKA_SENSITIVE: case CKA_ENCRYPT:
    case CKA_DECRYPT: case CKA_WRAP: case CKA_UNWRAP: case CKA_SIGN: case CKA_SIGN_RECOVER:
    case CKA_VERIFY: case CKA_VERIFY_RECOVER: case CKA_DERIVE: case CKA_EXTRACTABLE: case CKA_LOCAL:
    case CKA_NEVER_EXTRACTABLE: case CKA_ALWAYS_SENSITIVE: case CKA_MODIFIABLE: case CKA_COPYABLE:
    case CKA_DESTROYABLE: case CKA_ALWAYS_AUTHENTICATE: case CKA_WRAP_WITH_TRUSTED:
        return 1;
    default:
        return 0;
    }
}

static int is_ulong_attr(CK_ATTRIBUTE_TYPE t)
{
    return t == CKA_CLASS || t == CKA_KEY_TYPE || t == CKA_CERTIFICATE_TYPE || t == CKA_CERTIFICATE_CATEGORY ||
           t == CKA_KEY_GEN_MECHANISM;
}

/* Every template value must be readable and sized right for its type before it is stored. */
static CK_RV check_template(CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
    CK_ULONG i;
    if (n && !t)
        return CKR_ARGUMENTS_BAD;
    if (n > 256)
        return CKR_TEMPLATE_INCONSISTENT;
    for (i = 0; i < n; i++) {
        if (t[i].ulValueLen && !t[i].pValue)
            return CKR_ATTRIBUTE_VALUE_INVALID;
        if (t[i].ulValueLen > (16UL << 20))
            return CKR_ATTRIBUTE_VALUE_INVALID;
        if (is_bool_attr(t[i].type) && t[i].ulValueLen != 1)
            return CKR_ATTRIBUTE_VALUE_INVALID;
        if (is_ulong_attr(t[i].type) && t[i].ulValueLen != sizeof(CK_ULONG))
            return CKR_ATTRIBUTE_VALUE_INVALID;
    }
    return CKR_OK;
}

static slot_state *slot_of(CK_SLOT_ID id)
{
    return id < g_conf.slots ? &g_slots[id] : NULL;
}

static session *session_of(CK_SESSION_HANDLE h)
{
    size_t i;
    if (h == 0)
        return NULL;
    for (i = 0; i < MAX_SESSIONS; i++)
        if (g_sessions[i].handle == h)
            return &g_sessions[i];
    return NULL;
}

static CK_ULONG count_sessions(CK_SLOT_ID slot, int rw_only)
{
    CK_ULONG n = 0;
    size_t i;
    for (i = 0; i < MAX_SESSIONS; i++)
        if (g_sessions[i].handle && g_sessions[i].slot == slot && (!rw_only || g_sessions[i].flags & CKF_RW_SESSION))
            n++;
    return n;
}

/* Re-read the token's file: another process may have logged in wrongly, created or deleted objects. */
static CK_RV reload(CK_SLOT_ID slot)
{
    slot_state *s = &g_slots[slot];
    CK_RV rv = p11sm2_store_load(&g_conf, slot, &s->tok);
    if (rv == CKR_OK && !s->tok.initialized)
        s->login = -1;
    return rv;
}

static p11_obj *object_of(slot_state *s, CK_OBJECT_HANDLE h)
{
    size_t i;
    for (i = 0; i < s->tok.nobj; i++)
        if (s->tok.objs[i].handle == h)
            return &s->tok.objs[i];
    for (i = 0; i < s->nsobj; i++)
        if (s->sobjs[i].handle == h)
            return &s->sobjs[i];
    return NULL;
}

static int visible(slot_state *s, p11_obj *o)
{
    return s->login == (int)CKU_USER || !attr_bool(o, CKA_PRIVATE, 0);
}

/* ---- sessions ---- */

static void sign_reset(session *se)
{
    free(se->sign_buf);
    se->sign_buf = NULL;
    se->sign_len = se->sign_cap = 0;
    memset(se->sign_d, 0, sizeof(se->sign_d));
    se->sign_active = se->sign_multi = se->sign_done = 0;
    se->siglen = 0;
}

static void find_reset(session *se)
{
    free(se->found);
    se->found = NULL;
    se->nfound = se->pos = 0;
    se->find_active = 0;
}

static void destroy_session_objects(slot_state *s, CK_SESSION_HANDLE owner)
{
    size_t i = 0;
    while (i < s->nsobj) {
        if (s->sobjs[i].owner == owner) {
            p11sm2_obj_free(&s->sobjs[i]);
            s->sobjs[i] = s->sobjs[--s->nsobj];
        } else {
            i++;
        }
    }
}

static void session_close(session *se)
{
    slot_state *s = &g_slots[se->slot];
    CK_SLOT_ID slot = se->slot;
    sign_reset(se);
    find_reset(se);
    destroy_session_objects(s, se->handle);
    memset(se, 0, sizeof(*se));
    if (count_sessions(slot, 0) == 0)
        s->login = -1; /* the last session closed logs the application out */
}

static CK_STATE session_state(session *se)
{
    int login = g_slots[se->slot].login;
    int rw = (se->flags & CKF_RW_SESSION) != 0;
    if (login == (int)CKU_SO)
        return CKS_RW_SO_FUNCTIONS;
    if (login == (int)CKU_USER)
        return rw ? CKS_RW_USER_FUNCTIONS : CKS_RO_USER_FUNCTIONS;
    return rw ? CKS_RW_PUBLIC_SESSION : CKS_RO_PUBLIC_SESSION;
}

/* ---- general ---- */

EXPORT CK_RV C_Initialize(CK_VOID_PTR pInitArgs)
{
    CK_C_INITIALIZE_ARGS_PTR args = pInitArgs;
    CK_ULONG i;
    LOCK();
    if (g_init)
        LEAVE(CKR_CRYPTOKI_ALREADY_INITIALIZED);
    if (args) {
        int some = args->CreateMutex || args->DestroyMutex || args->LockMutex || args->UnlockMutex;
        int all = args->CreateMutex && args->DestroyMutex && args->LockMutex && args->UnlockMutex;
        if (args->pReserved || (some && !all))
            LEAVE(CKR_ARGUMENTS_BAD);
    }
    if (p11sm2_conf_load(&g_conf) != 0)
        LEAVE(CKR_GENERAL_ERROR);
    memset(g_slots, 0, sizeof(g_slots));
    memset(g_sessions, 0, sizeof(g_sessions));
    for (i = 0; i < g_conf.slots; i++)
        g_slots[i].login = -1;
    g_init = 1;
    LEAVE(CKR_OK);
}

EXPORT CK_RV C_Finalize(CK_VOID_PTR pReserved)
{
    size_t i;
    if (pReserved)
        return CKR_ARGUMENTS_BAD;
    ENTER();
    for (i = 0; i < MAX_SESSIONS; i++)
        if (g_sessions[i].handle)
            session_close(&g_sessions[i]);
    for (i = 0; i < P11SM2_MAX_SLOTS; i++) {
        p11sm2_token_clear(&g_slots[i].tok);
        while (g_slots[i].nsobj)
            p11sm2_obj_free(&g_slots[i].sobjs[--g_slots[i].nsobj]);
        free(g_slots[i].sobjs);
        g_slots[i].sobjs = NULL;
    }
    g_init = 0;
    LEAVE(CKR_OK);
}

EXPORT CK_RV C_GetInfo(CK_INFO_PTR pInfo)
{
    ENTER();
    if (!pInfo)
        LEAVE(CKR_ARGUMENTS_BAD);
    memset(pInfo, 0, sizeof(*pInfo));
    pInfo->cryptokiVersion.major = 2;
    pInfo->cryptokiVersion.minor = 40;
    pad(pInfo->manufacturerID, 32, "SealDesk");
    pad(pInfo->libraryDescription, 32, "SealDesk SM2 test token");
    pInfo->libraryVersion.major = 1;
    LEAVE(CKR_OK);
}

EXPORT CK_RV C_GetSlotList(CK_BBOOL tokenPresent, CK_SLOT_ID_PTR pSlotList, CK_ULONG_PTR pulCount)
{
    CK_ULONG i;
    (void)tokenPresent; /* every slot always holds a token */
    ENTER();
    if (!pulCount)
        LEAVE(CKR_ARGUMENTS_BAD);
    if (!pSlotList) {
        *pulCount = g_conf.slots;
        LEAVE(CKR_OK);
    }
    if (*pulCount < g_conf.slots) {
        *pulCount = g_conf.slots;
        LEAVE(CKR_BUFFER_TOO_SMALL);
    }
    for (i = 0; i < g_conf.slots; i++)
        pSlotList[i] = i;
    *pulCount = g_conf.slots;
    LEAVE(CKR_OK);
}

EXPORT CK_RV C_GetSlotInfo(CK_SLOT_ID slotID, CK_SLOT_INFO_PTR pInfo)
{
    char text[64];
    ENTER();
    if (!slot_of(slotID))
        LEAVE(CKR_SLOT_ID_INVALID);
    if (!pInfo)
        LEAVE(CKR_ARGUMENTS_BAD);
    memset(pInfo, 0, sizeof(*pInfo));
    snprintf(text, sizeof(text), "SealDesk SM2 test slot %lu", (unsigned long)slotID);
    pad(pInfo->slotDescription, 64, text);
    pad(pInfo->manufacturerID, 32, "SealDesk");
    pInfo->flags = CKF_TOKEN_PRESENT | CKF_REMOVABLE_DEVICE | CKF_HW_SLOT;
    pInfo->hardwareVersion.major = 1;
    pInfo->firmwareVersion.major = 1;
    LEAVE(CKR_OK);
}

static CK_FLAGS pin_flags(CK_ULONG fails, CK_ULONG max, CK_FLAGS low, CK_FLAGS final, CK_FLAGS locked)
{
    if (fails >= max)
        return locked;
    if (max - fails == 1)
        return final;
    return fails ? low : 0;
}

EXPORT CK_RV C_GetTokenInfo(CK_SLOT_ID slotID, CK_TOKEN_INFO_PTR pInfo)
{
    slot_state *s;
    CK_RV rv;
    char serial[17];
    ENTER();
    s = slot_of(slotID);
    if (!s)
        LEAVE(CKR_SLOT_ID_INVALID);
    if (!pInfo)
        LEAVE(CKR_ARGUMENTS_BAD);
    rv = reload(slotID);
    if (rv != CKR_OK)
        LEAVE(rv);
    memset(pInfo, 0, sizeof(*pInfo));
    if (s->tok.initialized) {
        memcpy(pInfo->label, s->tok.label, 32);
        memcpy(pInfo->serialNumber, s->tok.serial, 16);
    } else {
        pad(pInfo->label, 32, "");
        snprintf(serial, sizeof(serial), "UNINIT%02u", (unsigned)(slotID % 100));
        pad(pInfo->serialNumber, 16, serial);
    }
    pad(pInfo->manufacturerID, 32, "SealDesk");
    pad(pInfo->model, 16, "SM2 test token");
    pInfo->flags = CKF_RNG | CKF_LOGIN_REQUIRED;
    if (s->tok.initialized) {
        pInfo->flags |= CKF_TOKEN_INITIALIZED;
        if (s->tok.user_pin_set) {
            pInfo->flags |= CKF_USER_PIN_INITIALIZED;
            pInfo->flags |= pin_flags(s->tok.user_fails, g_conf.max_pin_tries, CKF_USER_PIN_COUNT_LOW,
                                      CKF_USER_PIN_FINAL_TRY, CKF_USER_PIN_LOCKED);
        }
        pInfo->flags |= pin_flags(s->tok.so_fails, g_conf.max_pin_tries, CKF_SO_PIN_COUNT_LOW, CKF_SO_PIN_FINAL_TRY,
                                  CKF_SO_PIN_LOCKED);
    }
    pInfo->ulMaxSessionCount = MAX_SESSIONS;
    pInfo->ulSessionCount = count_sessions(slotID, 0);
    pInfo->ulMaxRwSessionCount = MAX_SESSIONS;
    pInfo->ulRwSessionCount = count_sessions(slotID, 1);
    pInfo->ulMaxPinLen = P11SM2_PIN_MAX;
    pInfo->ulMinPinLen = P11SM2_PIN_MIN;
    pInfo->ulTotalPublicMemory = CK_UNAVAILABLE_INFORMATION;
    pInfo->ulFreePublicMemory = CK_UNAVAILABLE_INFORMATION;
    pInfo->ulTotalPrivateMemory = CK_UNAVAILABLE_INFORMATION;
    pInfo->ulFreePrivateMemory = CK_UNAVAILABLE_INFORMATION;
    pInfo->hardwareVersion.major = 1;
    pInfo->firmwareVersion.major = 1;
    LEAVE(CKR_OK);
}

EXPORT CK_RV C_GetMechanismList(CK_SLOT_ID slotID, CK_MECHANISM_TYPE_PTR pList, CK_ULONG_PTR pulCount)
{
    ENTER();
    if (!slot_of(slotID))
        LEAVE(CKR_SLOT_ID_INVALID);
    if (!pulCount)
        LEAVE(CKR_ARGUMENTS_BAD);
    if (!pList) {
        *pulCount = 3;
        LEAVE(CKR_OK);
    }
    if (*pulCount < 3) {
        *pulCount = 3;
        LEAVE(CKR_BUFFER_TOO_SMALL);
    }
    pList[0] = g_conf.mech_sm2_keygen;
    pList[1] = g_conf.mech_sm2_raw;
    pList[2] = g_conf.mech_sm3_sm2;
    *pulCount = 3;
    LEAVE(CKR_OK);
}

EXPORT CK_RV C_GetMechanismInfo(CK_SLOT_ID slotID, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR pInfo)
{
    ENTER();
    if (!slot_of(slotID))
        LEAVE(CKR_SLOT_ID_INVALID);
    if (!pInfo)
        LEAVE(CKR_ARGUMENTS_BAD);
    pInfo->ulMinKeySize = 256;
    pInfo->ulMaxKeySize = 256;
    if (type == g_conf.mech_sm2_keygen)
        pInfo->flags = CKF_HW | CKF_GENERATE_KEY_PAIR | CKF_EC_F_P | CKF_EC_UNCOMPRESS;
    else if (type == g_conf.mech_sm2_raw || type == g_conf.mech_sm3_sm2)
        pInfo->flags = CKF_HW | CKF_SIGN | CKF_EC_F_P | CKF_EC_UNCOMPRESS;
    else
        LEAVE(CKR_MECHANISM_INVALID);
    LEAVE(CKR_OK);
}

/* ---- PINs ---- */

static CK_RV pin_check_len(CK_UTF8CHAR_PTR pin, CK_ULONG len)
{
    if (!pin && len)
        return CKR_ARGUMENTS_BAD;
    if (!pin)
        return CKR_ARGUMENTS_BAD; /* no protected authentication path */
    if (len < P11SM2_PIN_MIN || len > P11SM2_PIN_MAX)
        return CKR_PIN_LEN_RANGE;
    return CKR_OK;
}

static CK_RV pin_store(unsigned char salt[16], unsigned char hash[32], CK_UTF8CHAR_PTR pin, CK_ULONG len)
{
    if (p11sm2_random(salt, 16) != 0 || p11sm2_pin_hash(salt, pin, len, hash) != 0)
        return CKR_FUNCTION_FAILED;
    return CKR_OK;
}

/* 1: matches, 0: does not, -1: failure. Constant-time compare of the hashes. */
static int pin_matches(const unsigned char salt[16], const unsigned char hash[32], CK_UTF8CHAR_PTR pin,
                       CK_ULONG len)
{
    unsigned char got[32];
    unsigned char diff = 0;
    size_t i;
    if (p11sm2_pin_hash(salt, pin, len, got) != 0)
        return -1;
    for (i = 0; i < 32; i++)
        diff |= got[i] ^ hash[i];
    memset(got, 0, sizeof(got));
    return diff == 0;
}

EXPORT CK_RV C_InitToken(CK_SLOT_ID slotID, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen, CK_UTF8CHAR_PTR pLabel)
{
    slot_state *s;
    CK_RV rv;
    int fd, m;
    ENTER();
    s = slot_of(slotID);
    if (!s)
        LEAVE(CKR_SLOT_ID_INVALID);
    if (!pLabel)
        LEAVE(CKR_ARGUMENTS_BAD);
    rv = pin_check_len(pPin, ulPinLen);
    if (rv != CKR_OK)
        LEAVE(rv);
    if (count_sessions(slotID, 0))
        LEAVE(CKR_SESSION_EXISTS);
    fd = p11sm2_store_lock(&g_conf, slotID);
    if (fd < 0)
        LEAVE(CKR_DEVICE_ERROR);
    rv = reload(slotID);
    if (rv == CKR_OK && s->tok.initialized) {
        if (s->tok.so_fails >= g_conf.max_pin_tries) {
            rv = CKR_PIN_LOCKED;
        } else {
            m = pin_matches(s->tok.so_salt, s->tok.so_hash, pPin, ulPinLen);
            if (m < 0) {
                rv = CKR_FUNCTION_FAILED;
            } else if (!m) {
                s->tok.so_fails++;
                rv = p11sm2_store_save(&g_conf, slotID, &s->tok);
                if (rv == CKR_OK)
                    rv = CKR_PIN_INCORRECT;
            }
        }
    }
    if (rv == CKR_OK) {
        unsigned char serial_bytes[8];
        char serial[17];
        size_t i;
        p11sm2_token_clear(&s->tok);
        s->tok.initialized = 1;
        memcpy(s->tok.label, pLabel, 32);
        if (p11sm2_random(serial_bytes, sizeof(serial_bytes)) != 0)
            rv = CKR_FUNCTION_FAILED;
        for (i = 0; i < 8; i++)
            snprintf(serial + 2 * i, 3, "%02X", serial_bytes[i]);
        memcpy(s->tok.serial, serial, 16);
        s->tok.next_handle = 1;
        if (rv == CKR_OK)
            rv = pin_store(s->tok.so_salt, s->tok.so_hash, pPin, ulPinLen);
        if (rv == CKR_OK)
            rv = p11sm2_store_save(&g_conf, slotID, &s->tok);
        s->login = -1;
    }
    p11sm2_store_unlock(fd);
    LEAVE(rv);
}

EXPORT CK_RV C_InitPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen)
{
    session *se;
    slot_state *s;
    CK_RV rv;
    int fd;
    ENTER();
    se = session_of(hSession);
    if (!se)
        LEAVE(CKR_SESSION_HANDLE_INVALID);
    s = &g_slots[se->slot];
    if (s->login != (int)CKU_SO)
        LEAVE(CKR_USER_NOT_LOGGED_IN);
    if (!(se->flags & CKF_RW_SESSION))
        LEAVE(CKR_SESSION_READ_ONLY);
    rv = pin_check_len(pPin, ulPinLen);
    if (rv != CKR_OK)
        LEAVE(rv);
    fd = p11sm2_store_lock(&g_conf, se->slot);
    if (fd < 0)
        LEAVE(CKR_DEVICE_ERROR);
    rv = reload(se->slot);
    if (rv == CKR_OK)
        rv = pin_store(s->tok.user_salt, s->tok.user_hash, pPin, ulPinLen);
    if (rv == CKR_OK) {
        s->tok.user_pin_set = 1;
        s->tok.user_fails = 0; /* the SO's InitPIN is the unlock */
        rv = p11sm2_store_save(&g_conf, se->slot, &s->tok);
    }
    p11sm2_store_unlock(fd);
    LEAVE(rv);
}

/* Checks a PIN against the stored hash under the store lock, counting the failure (caller holds the lock). */
static CK_RV verify_pin(CK_SLOT_ID slot, CK_USER_TYPE who, CK_UTF8CHAR_PTR pin, CK_ULONG len)
{
    p11_token *t = &g_slots[slot].tok;
    CK_ULONG *fails = who == CKU_SO ? &t->so_fails : &t->user_fails;
    int m;
    CK_RV rv;
    if (who == CKU_USER && !t->user_pin_set)
        return CKR_USER_PIN_NOT_INITIALIZED;
    if (*fails >= g_conf.max_pin_tries)
        return CKR_PIN_LOCKED; /* refused without looking at the PIN */
    if (!pin)
        return CKR_ARGUMENTS_BAD;
    m = len < P11SM2_PIN_MIN || len > P11SM2_PIN_MAX
            ? 0
            : pin_matches(who == CKU_SO ? t->so_salt : t->user_salt, who == CKU_SO ? t->so_hash : t->user_hash, pin,
                          len);
    if (m < 0)
        return CKR_FUNCTION_FAILED;
    if (!m) {
        (*fails)++;
        rv = p11sm2_store_save(&g_conf, slot, t);
        return rv == CKR_OK ? CKR_PIN_INCORRECT : rv;
    }
    if (*fails) {
        *fails = 0;
        rv = p11sm2_store_save(&g_conf, slot, t);
        if (rv != CKR_OK)
            return rv;
    }
    return CKR_OK;
}

EXPORT CK_RV C_SetPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pOldPin, CK_ULONG ulOldLen, CK_UTF8CHAR_PTR pNewPin,
                      CK_ULONG ulNewLen)
{
    session *se;
    slot_state *s;
    CK_USER_TYPE who;
    CK_RV rv;
    int fd;
    ENTER();
    se = session_of(hSession);
    if (!se)
        LEAVE(CKR_SESSION_HANDLE_INVALID);
    s = &g_slots[se->slot];
    if (!(se->flags & CKF_RW_SESSION))
        LEAVE(CKR_SESSION_READ_ONLY);
    if (!pOldPin)
        LEAVE(CKR_ARGUMENTS_BAD);
    rv = pin_check_len(pNewPin, ulNewLen);
    if (rv != CKR_OK)
        LEAVE(rv);
    who = s->login == (int)CKU_SO ? CKU_SO : CKU_USER;
    fd = p11sm2_store_lock(&g_conf, se->slot);
    if (fd < 0)
        LEAVE(CKR_DEVICE_ERROR);
    rv = reload(se->slot);
    if (rv == CKR_OK)
        rv = verify_pin(se->slot, who, pOldPin, ulOldLen);
    if (rv == CKR_OK) {
        if (who == CKU_SO)
            rv = pin_store(s->tok.so_salt, s->tok.so_hash, pNewPin, ulNewLen);
        else
            rv = pin_store(s->tok.user_salt, s->tok.user_hash, pNewPin, ulNewLen);
        if (rv == CKR_OK)
            rv = p11sm2_store_save(&g_conf, se->slot, &s->tok);
    }
    p11sm2_store_unlock(fd);
    LEAVE(rv);
}

/* ---- sessions ---- */

EXPORT CK_RV C_OpenSession(CK_SLOT_ID slotID, CK_FLAGS flags, CK_VOID_PTR pApplication, CK_NOTIFY Notify,
                           CK_SESSION_HANDLE_PTR phSession)
{
    slot_state *s;
    CK_RV rv;
    size_t i;
    (void)pApplication;
    (void)Notify;
    ENTER();
    s = slot_of(slotID);
    if (!s)
        LEAVE(CKR_SLOT_ID_INVALID);
    if (!phSession)
        LEAVE(CKR_ARGUMENTS_BAD);
    if (!(flags & CKF_SERIAL_SESSION))
        LEAVE(CKR_SESSION_PARALLEL_NOT_SUPPORTED);
    rv = reload(slotID);
    if (rv != CKR_OK)
        LEAVE(rv);
    if (!s->tok.initialized)
        LEAVE(CKR_TOKEN_NOT_RECOGNIZED);
    if (!(flags & CKF_RW_SESSION) && s->login == (int)CKU_SO)
        LEAVE(CKR_SESSION_READ_WRITE_SO_EXISTS);
    for (i = 0; i < MAX_SESSIONS; i++) {
        if (!g_sessions[i].handle) {
            memset(&g_sessions[i], 0, sizeof(session));
            g_sessions[i].handle = g_next_session++;
            if (g_next_session == 0)
                g_next_session = 1;
            g_sessions[i].slot = slotID;
            g_sessions[i].flags = flags & (CKF_RW_SESSION | CKF_SERIAL_SESSION);
            *phSession = g_sessions[i].handle;
            LEAVE(CKR_OK);
        }
    }
    LEAVE(CKR_SESSION_COUNT);
}

EXPORT CK_RV C_CloseSession(CK_SESSION_HANDLE hSession)
{
    session *se;
    ENTER();
    se = session_of(hSession);
    if (!se)
        LEAVE(CKR_SESSION_HANDLE_INVALID);
    session_close(se);
    LEAVE(CKR_OK);
}

EXPORT CK_RV C_CloseAllSessions(CK_SLOT_ID slotID)
{
    size_t i;
    ENTER();
    if (!slot_of(slotID))
        LEAVE(CKR_SLOT_ID_INVALID);
    for (i = 0; i < MAX_SESSIONS; i++)
        if (g_sessions[i].handle && g_sessions[i].slot == slotID)
            session_close(&g_sessions[i]);
    g_slots[slotID].login = -1;
    LEAVE(CKR_OK);
}

EXPORT CK_RV C_GetSessionInfo(CK_SESSION_HANDLE hSession, CK_SESSION_INFO_PTR pInfo)
{
    session *se;
    ENTER();
    se = session_of(hSession);
    if (!se)
        LEAVE(CKR_SESSION_HANDLE_INVALID);
    if (!pInfo)
        LEAVE(CKR_ARGUMENTS_BAD);
    pInfo->slotID = se->slot;
    pInfo->state = session_state(se);
    pInfo->flags = se->flags;
    pInfo->ulDeviceError = 0;
    LEAVE(CKR_OK);
}

EXPORT CK_RV C_Login(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen)
{
    session *se;
    slot_state *s;
    CK_RV rv;
    size_t i;
    int fd;
    ENTER();
    se = session_of(hSession);
    if (!se)
        LEAVE(CKR_SESSION_HANDLE_INVALID);
    s = &g_slots[se->slot];
    if (userType != CKU_USER && userType != CKU_SO)
        LEAVE(CKR_USER_TYPE_INVALID);
    if (s->login == (int)userType)
        LEAVE(CKR_USER_ALREADY_LOGGED_IN);
    if (s->login >= 0)
        LEAVE(CKR_USER_ANOTHER_ALREADY_LOGGED_IN);
    if (userType == CKU_SO)
        for (i = 0; i < MAX_SESSIONS; i++)
            if (g_sessions[i].handle && g_sessions[i].slot == se->slot && !(g_sessions[i].flags & CKF_RW_SESSION))
                LEAVE(CKR_SESSION_READ_ONLY_EXISTS);
    fd = p11sm2_store_lock(&g_conf, se->slot);
    if (fd < 0)
        LEAVE(CKR_DEVICE_ERROR);
    rv = reload(se->slot);
    if (rv == CKR_OK)
        rv = verify_pin(se->slot, userType, pPin, ulPinLen);
    p11sm2_store_unlock(fd);
    if (rv == CKR_OK)
        s->login = (int)userType;
    LEAVE(rv);
}

EXPORT CK_RV C_Logout(CK_SESSION_HANDLE hSession)
{
    session *se;
    size_t i;
    ENTER();
    se = session_of(hSession);
    if (!se)
        LEAVE(CKR_SESSION_HANDLE_INVALID);
    if (g_slots[se->slot].login < 0)
        LEAVE(CKR_USER_NOT_LOGGED_IN);
    g_slots[se->slot].login = -1;
    for (i = 0; i < MAX_SESSIONS; i++)
        if (g_sessions[i].handle && g_sessions[i].slot == se->slot) {
            sign_reset(&g_sessions[i]); /* private keys are gone for these sessions */
            find_reset(&g_sessions[i]);
        }
    LEAVE(CKR_OK);
}

/* ---- objects ---- */

/* Fills class-specific defaults and checks the object is one this token keeps. */
static CK_RV complete_object(p11_obj *o, int generated)
{
    CK_ULONG cls, kt;
    CK_BBOOL t = CK_TRUE, f = CK_FALSE;
    int fail = 0;
    if (attr_ulong(o, CKA_CLASS, &cls) != 0)
        return CKR_TEMPLATE_INCOMPLETE;
    fail |= attr_default(o, CKA_TOKEN, &f, 1);
    fail |= attr_default(o, CKA_MODIFIABLE, &t, 1);
    fail |= attr_default(o, CKA_DESTROYABLE, &t, 1);
    fail |= attr_default(o, CKA_COPYABLE, &f, 1);
    fail |= attr_default(o, CKA_LABEL, "", 0);
    switch (cls) {
    case CKO_DATA:
        fail |= attr_default(o, CKA_PRIVATE, &f, 1);
        fail |= attr_default(o, CKA_APPLICATION, "", 0);
        fail |= attr_default(o, CKA_OBJECT_ID, "", 0);
        fail |= attr_default(o, CKA_VALUE, "", 0);
        break;
    case CKO_CERTIFICATE: {
        CK_ULONG x509 = CKC_X_509, cat = 0;
        if (!attr_find(o, CKA_VALUE) || attr_find(o, CKA_VALUE)->len == 0)
            return CKR_TEMPLATE_INCOMPLETE;
        fail |= attr_default(o, CKA_CERTIFICATE_TYPE, &x509, sizeof(x509));
        fail |= attr_default(o, CKA_PRIVATE, &f, 1);
        fail |= attr_default(o, CKA_TRUSTED, &f, 1);
        fail |= attr_default(o, CKA_CERTIFICATE_CATEGORY, &cat, sizeof(cat));
        fail |= attr_default(o, CKA_ID, "", 0);
        fail |= attr_default(o, CKA_SUBJECT, "", 0);
        fail |= attr_default(o, CKA_ISSUER, "", 0);
        fail |= attr_default(o, CKA_SERIAL_NUMBER, "", 0);
        break;
    }
    case CKO_PRIVATE_KEY: {
        p11_attr *v = attr_find(o, CKA_VALUE);
        unsigned char pub[65], point[67];
        if (attr_ulong(o, CKA_KEY_TYPE, &kt) != 0)
            return CKR_TEMPLATE_INCOMPLETE;
        if (kt != g_conf.key_type_sm2)
            return CKR_ATTRIBUTE_VALUE_INVALID;
        if (!v)
            return CKR_TEMPLATE_INCOMPLETE;
        if (v->len != 32 || p11sm2_sm2_public(v->val, pub) != 0)
            return CKR_ATTRIBUTE_VALUE_INVALID;
        point[0] = 0x04;
        point[1] = 65;
        memcpy(point + 2, pub, 65);
        if (attr_find(o, CKA_EC_POINT) && (attr_find(o, CKA_EC_POINT)->len != 67 ||
                                           memcmp(attr_find(o, CKA_EC_POINT)->val, point, 67) != 0))
            return CKR_TEMPLATE_INCONSISTENT; /* a given public point must be the key's own */
        if (attr_find(o, CKA_EC_PARAMS) && (attr_find(o, CKA_EC_PARAMS)->len != sizeof(EC_PARAMS_SM2) ||
                                            memcmp(attr_find(o, CKA_EC_PARAMS)->val, EC_PARAMS_SM2,
                                                   sizeof(EC_PARAMS_SM2)) != 0))
            return CKR_ATTRIBUTE_VALUE_INVALID;
        if (!attr_bool(o, CKA_SENSITIVE, 1) || attr_bool(o, CKA_EXTRACTABLE, 0))
            return CKR_ATTRIBUTE_VALUE_INVALID; /* this token never lets a private key out */
        fail |= attr_set(o, CKA_EC_POINT, point, 67);
        fail |= attr_default(o, CKA_EC_PARAMS, EC_PARAMS_SM2, sizeof(EC_PARAMS_SM2));
        fail |= attr_default(o, CKA_PRIVATE, &t, 1);
        fail |= attr_set(o, CKA_SENSITIVE, &t, 1);
        fail |= attr_set(o, CKA_EXTRACTABLE, &f, 1);
        fail |= attr_set(o, CKA_ALWAYS_SENSITIVE, generated ? &t : &f, 1);
        fail |= attr_set(o, CKA_NEVER_EXTRACTABLE, generated ? &t : &f, 1);
        fail |= attr_set(o, CKA_LOCAL, generated ? &t : &f, 1);
        fail |= attr_default(o, CKA_SIGN, &t, 1);
        fail |= attr_default(o, CKA_DECRYPT, &f, 1);
        fail |= attr_default(o, CKA_DERIVE, &f, 1);
        fail |= attr_default(o, CKA_SIGN_RECOVER, &f, 1);
        fail |= attr_default(o, CKA_UNWRAP, &f, 1);
        fail |= attr_default(o, CKA_ALWAYS_AUTHENTICATE, &f, 1);
        fail |= attr_default(o, CKA_ID, "", 0);
        fail |= attr_default(o, CKA_SUBJECT, "", 0);
        break;
    }
    case CKO_PUBLIC_KEY: {
        p11_attr *pt = attr_find(o, CKA_EC_POINT);
        if (attr_ulong(o, CKA_KEY_TYPE, &kt) != 0)
            return CKR_TEMPLATE_INCOMPLETE;
        if (kt != g_conf.key_type_sm2)
            return CKR_ATTRIBUTE_VALUE_INVALID;
        if (!pt)
            return CKR_TEMPLATE_INCOMPLETE;
        if (pt->len != 67 || pt->val[0] != 0x04 || pt->val[1] != 65 || pt->val[2] != 0x04)
            return CKR_ATTRIBUTE_VALUE_INVALID;
        fail |= attr_default(o, CKA_EC_PARAMS, EC_PARAMS_SM2, sizeof(EC_PARAMS_SM2));
        fail |= attr_default(o, CKA_PRIVATE, &f, 1);
        fail |= attr_default(o, CKA_VERIFY, &t, 1);
        fail |= attr_default(o, CKA_ENCRYPT, &f, 1);
        fail |= attr_default(o, CKA_DERIVE, &f, 1);
        fail |= attr_default(o, CKA_VERIFY_RECOVER, &f, 1);
        fail |= attr_default(o, CKA_WRAP, &f, 1);
        fail |= attr_set(o, CKA_LOCAL, generated ? &t : &f, 1);
        fail |= attr_default(o, CKA_ID, "", 0);
        fail |= attr_default(o, CKA_SUBJECT, "", 0);
        break;
    }
    default:
        return CKR_ATTRIBUTE_VALUE_INVALID;
    }
    return fail ? CKR_HOST_MEMORY : CKR_OK;
}

static CK_RV object_from_template(CK_ATTRIBUTE_PTR t, CK_ULONG n, p11_obj *o)
{
    CK_ULONG i;
    CK_RV rv = check_template(t, n);
    if (rv != CKR_OK)
        return rv;
    memset(o, 0, sizeof(*o));
    for (i = 0; i < n; i++)
        if (attr_set(o, t[i].type, t[i].pValue, t[i].ulValueLen) != 0)
            return CKR_HOST_MEMORY;
    return CKR_OK;
}

/* Adds a completed object to the token (persisted, caller holds the store lock) or to the session list. */
static CK_RV add_object(session *se, p11_obj *o, CK_OBJECT_HANDLE *out)
{
    slot_state *s = &g_slots[se->slot];
    CK_OBJECT_HANDLE base = (CK_OBJECT_HANDLE)(se->slot + 1) << 24;
    if (attr_bool(o, CKA_TOKEN, 0)) {
        p11_obj *na;
        CK_RV rv;
        if (s->tok.next_handle >= HANDLE_SESSION_BIT)
            return CKR_DEVICE_ERROR;
        na = realloc(s->tok.objs, (s->tok.nobj + 1) * sizeof(p11_obj));
        if (!na)
            return CKR_HOST_MEMORY;
        s->tok.objs = na;
        o->handle = base | (CK_OBJECT_HANDLE)s->tok.next_handle++;
        o->is_token = 1;
        s->tok.objs[s->tok.nobj++] = *o;
        rv = p11sm2_store_save(&g_conf, se->slot, &s->tok);
        if (rv != CKR_OK) {
            p11sm2_obj_free(&s->tok.objs[--s->tok.nobj]);
            return rv;
        }
    } else {
        p11_obj *na = realloc(s->sobjs, (s->nsobj + 1) * sizeof(p11_obj));
        if (!na)
            return CKR_HOST_MEMORY;
        s->sobjs = na;
        s->next_session_obj = (s->next_session_obj + 1) & (HANDLE_SESSION_BIT - 1);
        if (!s->next_session_obj)
            s->next_session_obj = 1;
        o->handle = base | HANDLE_SESSION_BIT | s->next_session_obj;
        o->owner = se->handle;
        s->sobjs[s->nsobj++] = *o;
    }
    *out = o->handle;
    return CKR_OK;
}

/* Whether this session may create/alter an object with these token/private attributes. */
static CK_RV may_write(session *se, p11_obj *o)
{
    slot_state *s = &g_slots[se->slot];
    if (attr_bool(o, CKA_TOKEN, 0) && !(se->flags & CKF_RW_SESSION))
        return CKR_SESSION_READ_ONLY;
    if (attr_bool(o, CKA_PRIVATE, 0) && s->login != (int)CKU_USER)
        return CKR_USER_NOT_LOGGED_IN;
    return CKR_OK;
}

EXPORT CK_RV C_CreateObject(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount,
                            CK_OBJECT_HANDLE_PTR phObject)
{
    session *se;
    p11_obj o;
    CK_RV rv;
    int fd = -1;
    ENTER();
    se = session_of(hSession);
    if (!se)
        LEAVE(CKR_SESSION_HANDLE_INVALID);
    if (!phObject)
        LEAVE(CKR_ARGUMENTS_BAD);
    rv = object_from_template(pTemplate, ulCount, &o);
    if (rv == CKR_OK)
        rv = complete_object(&o, 0);
    if (rv == CKR_OK)
        rv = may_write(se, &o);
    if (rv == CKR_OK && attr_bool(&o, CKA_TOKEN, 0)) {
        fd = p11sm2_store_lock(&g_conf, se->slot);
        rv = fd < 0 ? CKR_DEVICE_ERROR : reload(se->slot);
    }
    if (rv == CKR_OK)
        rv = add_object(se, &o, phObject);
    else
        p11sm2_obj_free(&o);
    p11sm2_store_unlock(fd);
    LEAVE(rv);
}

EXPORT CK_RV C_DestroyObject(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject)
{
    session *se;
    slot_state *s;
    p11_obj *o;
    CK_RV rv = CKR_OK;
    size_t i;
    int fd = -1;
    ENTER();
    se = session_of(hSession);
    if (!se)
        LEAVE(CKR_SESSION_HANDLE_INVALID);
    s = &g_slots[se->slot];
    if (!(hObject & HANDLE_SESSION_BIT)) {
        fd = p11sm2_store_lock(&g_conf, se->slot);
        rv = fd < 0 ? CKR_DEVICE_ERROR : reload(se->slot);
    }
    o = rv == CKR_OK ? object_of(s, hObject) : NULL;
    if (rv == CKR_OK && (!o || !visible(s, o)))
        rv = CKR_OBJECT_HANDLE_INVALID;
    if (rv == CKR_OK)
        rv = may_write(se, o);
    if (rv == CKR_OK && !attr_bool(o, CKA_DESTROYABLE, 1))
        rv = CKR_ACTION_PROHIBITED;
    if (rv == CKR_OK) {
        int token = o->is_token;
        p11_obj *list = token ? s->tok.objs : s->sobjs;
        size_t *count = token ? &s->tok.nobj : &s->nsobj;
        i = (size_t)(o - list);
        p11sm2_obj_free(o);
        memmove(&list[i], &list[i + 1], (*count - i - 1) * sizeof(p11_obj));
        (*count)--;
        if (token)
            rv = p11sm2_store_save(&g_conf, se->slot, &s->tok);
    }
    p11sm2_store_unlock(fd);
    LEAVE(rv);
}

EXPORT CK_RV C_GetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ATTRIBUTE_PTR pTemplate,
                                 CK_ULONG ulCount)
{
    session *se;
    slot_state *s;
    p11_obj *o;
    CK_ULONG i, cls = 0;
    CK_RV rv = CKR_OK;
    ENTER();
    se = session_of(hSession);
    if (!se)
        LEAVE(CKR_SESSION_HANDLE_INVALID);
    if (!pTemplate && ulCount)
        LEAVE(CKR_ARGUMENTS_BAD);
    s = &g_slots[se->slot];
    o = object_of(s, hObject);
    if (!o || !visible(s, o))
        LEAVE(CKR_OBJECT_HANDLE_INVALID);
    attr_ulong(o, CKA_CLASS, &cls);
    for (i = 0; i < ulCount; i++) {
        p11_attr *a = attr_find(o, pTemplate[i].type);
        if (cls == CKO_PRIVATE_KEY && pTemplate[i].type == CKA_VALUE) {
            pTemplate[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
            rv = CKR_ATTRIBUTE_SENSITIVE;
        } else if (!a) {
            pTemplate[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
            if (rv == CKR_OK || rv == CKR_BUFFER_TOO_SMALL)
                rv = CKR_ATTRIBUTE_TYPE_INVALID;
        } else if (!pTemplate[i].pValue) {
            pTemplate[i].ulValueLen = a->len;
        } else if (pTemplate[i].ulValueLen < a->len) {
            pTemplate[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
            if (rv == CKR_OK)
                rv = CKR_BUFFER_TOO_SMALL;
        } else {
            if (a->len)
                memcpy(pTemplate[i].pValue, a->val, a->len);
            pTemplate[i].ulValueLen = a->len;
        }
    }
    LEAVE(rv);
}

static int read_only_attr(CK_ULONG cls, CK_ATTRIBUTE_TYPE t)
{
    switch (t) {
    case CKA_CLASS: case CKA_TOKEN: case CKA_PRIVATE: case CKA_KEY_TYPE: case CKA_LOCAL:
    case CKA_ALWAYS_SENSITIVE: case CKA_NEVER_EXTRACTABLE: case CKA_EC_PARAMS: case CKA_EC_POINT:
    case CKA_CERTIFICATE_TYPE: case CKA_MODIFIABLE: case CKA_COPYABLE: case CKA_DESTROYABLE:
    case CKA_SENSITIVE: case CKA_EXTRACTABLE:
        return 1;
    case CKA_VALUE:
        return cls == CKO_PRIVATE_KEY || cls == CKO_CERTIFICATE;
    default:
        return 0;
    }
}

EXPORT CK_RV C_SetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ATTRIBUTE_PTR pTemplate,
                                 CK_ULONG ulCount)
{
    session *se;
    slot_state *s;
    p11_obj *o;
    CK_ULONG i, cls = 0;
    CK_RV rv;
    int fd = -1;
    ENTER();
    se = session_of(hSession);
    if (!se)
        LEAVE(CKR_SESSION_HANDLE_INVALID);
    rv = check_template(pTemplate, ulCount);
    if (rv != CKR_OK)
        LEAVE(rv);
    s = &g_slots[se->slot];
    if (!(hObject & HANDLE_SESSION_BIT)) {
        fd = p11sm2_store_lock(&g_conf, se->slot);
        rv = fd < 0 ? CKR_DEVICE_ERROR : reload(se->slot);
    }
    o = rv == CKR_OK ? object_of(s, hObject) : NULL;
    if (rv == CKR_OK && (!o || !visible(s, o)))
        rv = CKR_OBJECT_HANDLE_INVALID;
    if (rv == CKR_OK)
        rv = may_write(se, o);
    if (rv == CKR_OK && !attr_bool(o, CKA_MODIFIABLE, 1))
        rv = CKR_ATTRIBUTE_READ_ONLY;
    if (rv == CKR_OK) {
        attr_ulong(o, CKA_CLASS, &cls);
        for (i = 0; i < ulCount && rv == CKR_OK; i++)
            if (read_only_attr(cls, pTemplate[i].type))
                rv = CKR_ATTRIBUTE_READ_ONLY;
        for (i = 0; i < ulCount && rv == CKR_OK; i++)
            if (attr_set(o, pTemplate[i].type, pTemplate[i].pValue, pTemplate[i].ulValueLen) != 0)
                rv = CKR_HOST_MEMORY;
        if (rv == CKR_OK && o->is_token)
            rv = p11sm2_store_save(&g_conf, se->slot, &s->tok);
    }
    p11sm2_store_unlock(fd);
    LEAVE(rv);
}

static int matches(p11_obj *o, CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
    CK_ULONG i, cls = 0;
    attr_ulong(o, CKA_CLASS, &cls);
    for (i = 0; i < n; i++) {
        p11_attr *a = attr_find(o, t[i].type);
        if (cls == CKO_PRIVATE_KEY && t[i].type == CKA_VALUE)
            return 0; /* a search must not probe a secret */
        if (!a || a->len != t[i].ulValueLen || (a->len && memcmp(a->val, t[i].pValue, a->len) != 0))
            return 0;
    }
    return 1;
}

EXPORT CK_RV C_FindObjectsInit(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
    session *se;
    slot_state *s;
    CK_RV rv;
    size_t i, total;
    ENTER();
    se = session_of(hSession);
    if (!se)
        LEAVE(CKR_SESSION_HANDLE_INVALID);
    if (se->find_active)
        LEAVE(CKR_OPERATION_ACTIVE);
    rv = check_template(pTemplate, ulCount);
    if (rv != CKR_OK)
        LEAVE(rv);
    rv = reload(se->slot);
    if (rv != CKR_OK)
        LEAVE(rv);
    s = &g_slots[se->slot];
    total = s->tok.nobj + s->nsobj;
    se->found = calloc(total ? total : 1, sizeof(CK_OBJECT_HANDLE));
    if (!se->found)
        LEAVE(CKR_HOST_MEMORY);
    se->nfound = se->pos = 0;
    for (i = 0; i < total; i++) {
        p11_obj *o = i < s->tok.nobj ? &s->tok.objs[i] : &s->sobjs[i - s->tok.nobj];
        if (visible(s, o) && matches(o, pTemplate, ulCount))
            se->found[se->nfound++] = o->handle;
    }
    se->find_active = 1;
    LEAVE(CKR_OK);
}

EXPORT CK_RV C_FindObjects(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE_PTR phObject, CK_ULONG ulMaxObjectCount,
                           CK_ULONG_PTR pulObjectCount)
{
    session *se;
    CK_ULONG n = 0;
    ENTER();
    se = session_of(hSession);
    if (!se)
        LEAVE(CKR_SESSION_HANDLE_INVALID);
    if (!se->find_active)
        LEAVE(CKR_OPERATION_NOT_INITIALIZED);
    if (!pulObjectCount || (!phObject && ulMaxObjectCount))
        LEAVE(CKR_ARGUMENTS_BAD);
    while (n < ulMaxObjectCount && se->pos < se->nfound)
        phObject[n++] = se->found[se->pos++];
    *pulObjectCount = n;
    LEAVE(CKR_OK);
}

EXPORT CK_RV C_FindObjectsFinal(CK_SESSION_HANDLE hSession)
{
    session *se;
    ENTER();
    se = session_of(hSession);
    if (!se)
        LEAVE(CKR_SESSION_HANDLE_INVALID);
    if (!se->find_active)
        LEAVE(CKR_OPERATION_NOT_INITIALIZED);
    find_reset(se);
    LEAVE(CKR_OK);
}

/* ---- keys and signing ---- */

EXPORT CK_RV C_GenerateKeyPair(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                               CK_ATTRIBUTE_PTR pPublicKeyTemplate, CK_ULONG ulPublicKeyAttributeCount,
                               CK_ATTRIBUTE_PTR pPrivateKeyTemplate, CK_ULONG ulPrivateKeyAttributeCount,
                               CK_OBJECT_HANDLE_PTR phPublicKey, CK_OBJECT_HANDLE_PTR phPrivateKey)
{
    session *se;
    slot_state *s;
    p11_obj pubo, privo;
    unsigned char d[32], pub[65], point[67];
    CK_ULONG cls_pub = CKO_PUBLIC_KEY, cls_priv = CKO_PRIVATE_KEY, kt;
    CK_MECHANISM_TYPE mech;
    CK_RV rv;
    int fd = -1, token;
    ENTER();
    se = session_of(hSession);
    if (!se)
        LEAVE(CKR_SESSION_HANDLE_INVALID);
    if (!pMechanism || !phPublicKey || !phPrivateKey)
        LEAVE(CKR_ARGUMENTS_BAD);
    if (pMechanism->mechanism != g_conf.mech_sm2_keygen)
        LEAVE(CKR_MECHANISM_INVALID);
    s = &g_slots[se->slot];
    kt = g_conf.key_type_sm2;
    mech = g_conf.mech_sm2_keygen;
    memset(&pubo, 0, sizeof(pubo));
    memset(&privo, 0, sizeof(privo));
    rv = object_from_template(pPublicKeyTemplate, ulPublicKeyAttributeCount, &pubo);
    if (rv == CKR_OK)
        rv = object_from_template(pPrivateKeyTemplate, ulPrivateKeyAttributeCount, &privo);
    if (rv == CKR_OK && p11sm2_sm2_generate(d, pub) != 0)
        rv = CKR_FUNCTION_FAILED;
    if (rv == CKR_OK) {
        point[0] = 0x04;
        point[1] = 65;
        memcpy(point + 2, pub, 65);
        if (attr_set(&pubo, CKA_CLASS, &cls_pub, sizeof(cls_pub)) || attr_set(&pubo, CKA_KEY_TYPE, &kt, sizeof(kt)) ||
            attr_set(&pubo, CKA_EC_POINT, point, 67) || attr_set(&pubo, CKA_KEY_GEN_MECHANISM, &mech, sizeof(mech)) ||
            attr_set(&privo, CKA_CLASS, &cls_priv, sizeof(cls_priv)) ||
            attr_set(&privo, CKA_KEY_TYPE, &kt, sizeof(kt)) || attr_set(&privo, CKA_VALUE, d, 32) ||
            attr_set(&privo, CKA_KEY_GEN_MECHANISM, &mech, sizeof(mech)))
            rv = CKR_HOST_MEMORY;
    }
    memset(d, 0, sizeof(d));
    if (rv == CKR_OK)
        rv = complete_object(&pubo, 1);
    if (rv == CKR_OK)
        rv = complete_object(&privo, 1);
    if (rv == CKR_OK)
        rv = may_write(se, &pubo);
    if (rv == CKR_OK)
        rv = may_write(se, &privo);
    token = attr_bool(&pubo, CKA_TOKEN, 0) || attr_bool(&privo, CKA_TOKEN, 0);
    if (rv == CKR_OK && token) {
        fd = p11sm2_store_lock(&g_conf, se->slot);
        rv = fd < 0 ? CKR_DEVICE_ERROR : reload(se->slot);
    }
    if (rv == CKR_OK) {
        rv = add_object(se, &privo, phPrivateKey);
        if (rv == CKR_OK) {
            rv = add_object(se, &pubo, phPublicKey);
            if (rv != CKR_OK) {
                /* undo the private key so no half pair stays */
                p11_obj *o = object_of(s, *phPrivateKey);
                if (o) {
                    int was_token = o->is_token;
                    p11_obj *list = was_token ? s->tok.objs : s->sobjs;
                    size_t *count = was_token ? &s->tok.nobj : &s->nsobj;
                    size_t i = (size_t)(o - list);
                    p11sm2_obj_free(o);
                    memmove(&list[i], &list[i + 1], (*count - i - 1) * sizeof(p11_obj));
                    (*count)--;
                    if (was_token)
                        p11sm2_store_save(&g_conf, se->slot, &s->tok);
                }
            }
        } else {
            p11sm2_obj_free(&pubo);
        }
    } else {
        p11sm2_obj_free(&pubo);
        p11sm2_obj_free(&privo);
    }
    p11sm2_store_unlock(fd);
    LEAVE(rv);
}

EXPORT CK_RV C_SignInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
    session *se;
    slot_state *s;
    p11_obj *o;
    p11_attr *v, *pt;
    CK_ULONG cls, kt;
    CK_RV rv;
    ENTER();
    se = session_of(hSession);
    if (!se)
        LEAVE(CKR_SESSION_HANDLE_INVALID);
    if (!pMechanism)
        LEAVE(CKR_ARGUMENTS_BAD);
    if (se->sign_active)
        LEAVE(CKR_OPERATION_ACTIVE);
    if (pMechanism->mechanism != g_conf.mech_sm2_raw && pMechanism->mechanism != g_conf.mech_sm3_sm2)
        LEAVE(CKR_MECHANISM_INVALID);
    if (pMechanism->ulParameterLen)
        LEAVE(CKR_MECHANISM_PARAM_INVALID);
    s = &g_slots[se->slot];
    rv = reload(se->slot); /* a key deleted by another process must not sign */
    if (rv != CKR_OK)
        LEAVE(rv);
    o = object_of(s, hKey);
    if (!o || !visible(s, o))
        LEAVE(CKR_KEY_HANDLE_INVALID);
    if (attr_ulong(o, CKA_CLASS, &cls) || cls != CKO_PRIVATE_KEY || attr_ulong(o, CKA_KEY_TYPE, &kt) ||
        kt != g_conf.key_type_sm2)
        LEAVE(CKR_KEY_TYPE_INCONSISTENT);
    if (!attr_bool(o, CKA_SIGN, 1))
        LEAVE(CKR_KEY_FUNCTION_NOT_PERMITTED);
    if (s->login != (int)CKU_USER)
        LEAVE(CKR_USER_NOT_LOGGED_IN);
    v = attr_find(o, CKA_VALUE);
    pt = attr_find(o, CKA_EC_POINT);
    if (!v || v->len != 32 || !pt || pt->len != 67)
        LEAVE(CKR_KEY_HANDLE_INVALID);
    sign_reset(se);
    memcpy(se->sign_d, v->val, 32);
    memcpy(se->sign_pub, pt->val + 2, 65);
    se->sign_mech = pMechanism->mechanism;
    se->sign_active = 1;
    LEAVE(CKR_OK);
}

static CK_RV sign_append(session *se, CK_BYTE_PTR data, CK_ULONG len)
{
    if (!len)
        return CKR_OK;
    if (len > (64UL << 20) || se->sign_len + len > (64UL << 20))
        return CKR_DATA_LEN_RANGE;
    if (se->sign_len + len > se->sign_cap) {
        size_t cap = se->sign_cap ? se->sign_cap : 256;
        unsigned char *nb;
        while (cap < se->sign_len + len)
            cap *= 2;
        nb = realloc(se->sign_buf, cap);
        if (!nb)
            return CKR_HOST_MEMORY;
        se->sign_buf = nb;
        se->sign_cap = cap;
    }
    memcpy(se->sign_buf + se->sign_len, data, len);
    se->sign_len += len;
    return CKR_OK;
}

/* Computes the signature once (kept so a too-small buffer can be retried); the format follows the conf. */
static CK_RV sign_compute(session *se)
{
    unsigned char der[SIG_MAX];
    size_t derlen = sizeof(der);
    int with_z = se->sign_mech == g_conf.mech_sm3_sm2;
    if (se->sign_done)
        return CKR_OK;
    if (!with_z && se->sign_len != 32)
        return CKR_DATA_LEN_RANGE;
    if (p11sm2_sm2_sign(se->sign_d, se->sign_pub, with_z, se->sign_buf ? se->sign_buf : (const unsigned char *)"",
                        se->sign_len, der, &derlen) != 0)
        return CKR_FUNCTION_FAILED;
    if (g_conf.signature_der) {
        memcpy(se->sig, der, derlen);
        se->siglen = derlen;
    } else {
        if (p11sm2_der_to_raw(der, derlen, se->sig) != 0)
            return CKR_FUNCTION_FAILED;
        se->siglen = 64;
    }
    se->sign_done = 1;
    return CKR_OK;
}

/* The two-call convention: NULL buffer → length, small buffer → CKR_BUFFER_TOO_SMALL; both keep the op. */
static CK_RV sign_output(session *se, CK_BYTE_PTR out, CK_ULONG_PTR outlen)
{
    CK_RV rv = sign_compute(se);
    if (rv != CKR_OK) {
        sign_reset(se);
        return rv;
    }
    if (!out) {
        *outlen = se->siglen;
        return CKR_OK;
    }
    if (*outlen < se->siglen) {
        *outlen = se->siglen;
        return CKR_BUFFER_TOO_SMALL;
    }
    memcpy(out, se->sig, se->siglen);
    *outlen = se->siglen;
    sign_reset(se);
    return CKR_OK;
}

EXPORT CK_RV C_Sign(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
                    CK_ULONG_PTR pulSignatureLen)
{
    session *se;
    CK_RV rv;
    ENTER();
    se = session_of(hSession);
    if (!se)
        LEAVE(CKR_SESSION_HANDLE_INVALID);
    if (!se->sign_active)
        LEAVE(CKR_OPERATION_NOT_INITIALIZED);
    if (!pulSignatureLen || (!pData && ulDataLen)) {
        sign_reset(se);
        LEAVE(CKR_ARGUMENTS_BAD);
    }
    if (se->sign_multi) {
        sign_reset(se);
        LEAVE(CKR_OPERATION_ACTIVE);
    }
    if (!se->sign_done) {
        se->sign_len = 0;
        rv = sign_append(se, pData, ulDataLen);
        if (rv != CKR_OK) {
            sign_reset(se);
            LEAVE(rv);
        }
    }
    LEAVE(sign_output(se, pSignature, pulSignatureLen));
}

EXPORT CK_RV C_SignUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen)
{
    session *se;
    CK_RV rv;
    ENTER();
    se = session_of(hSession);
    if (!se)
        LEAVE(CKR_SESSION_HANDLE_INVALID);
    if (!se->sign_active)
        LEAVE(CKR_OPERATION_NOT_INITIALIZED);
    if ((!pPart && ulPartLen) || se->sign_done) {
        sign_reset(se);
        LEAVE(CKR_ARGUMENTS_BAD);
    }
    se->sign_multi = 1;
    rv = sign_append(se, pPart, ulPartLen);
    if (rv != CKR_OK)
        sign_reset(se);
    LEAVE(rv);
}

EXPORT CK_RV C_SignFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen)
{
    session *se;
    ENTER();
    se = session_of(hSession);
    if (!se)
        LEAVE(CKR_SESSION_HANDLE_INVALID);
    if (!se->sign_active)
        LEAVE(CKR_OPERATION_NOT_INITIALIZED);
    if (!pulSignatureLen) {
        sign_reset(se);
        LEAVE(CKR_ARGUMENTS_BAD);
    }
    se->sign_multi = 1;
    LEAVE(sign_output(se, pSignature, pulSignatureLen));
}

EXPORT CK_RV C_GenerateRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pRandomData, CK_ULONG ulRandomLen)
{
    ENTER();
    if (!session_of(hSession))
        LEAVE(CKR_SESSION_HANDLE_INVALID);
    if ((!pRandomData && ulRandomLen) || ulRandomLen > INT_MAX)
        LEAVE(CKR_ARGUMENTS_BAD);
    LEAVE(p11sm2_random(pRandomData, ulRandomLen) == 0 ? CKR_OK : CKR_FUNCTION_FAILED);
}

EXPORT CK_RV C_SeedRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSeed, CK_ULONG ulSeedLen)
{
    ENTER();
    if (!session_of(hSession))
        LEAVE(CKR_SESSION_HANDLE_INVALID);
    if (!pSeed && ulSeedLen)
        LEAVE(CKR_ARGUMENTS_BAD);
    LEAVE(CKR_OK); /* OpenSSL's DRBG seeds itself; extra seed material is accepted and not needed */
}

/* ---- everything else ---- */

#define UNSUPPORTED(name, args) \
    static CK_RV name##_unsupported args { return CKR_FUNCTION_NOT_SUPPORTED; }
#define U_SH CK_SESSION_HANDLE a
#define U_BUF CK_BYTE_PTR b, CK_ULONG c, CK_BYTE_PTR d, CK_ULONG_PTR e
/* stubs with the right signatures; their parameters are unused by design */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
UNSUPPORTED(C_GetOperationState, (U_SH, CK_BYTE_PTR b, CK_ULONG_PTR c))
UNSUPPORTED(C_SetOperationState, (U_SH, CK_BYTE_PTR b, CK_ULONG c, CK_OBJECT_HANDLE d, CK_OBJECT_HANDLE e))
UNSUPPORTED(C_CopyObject, (U_SH, CK_OBJECT_HANDLE b, CK_ATTRIBUTE_PTR c, CK_ULONG d, CK_OBJECT_HANDLE_PTR e))
UNSUPPORTED(C_GetObjectSize, (U_SH, CK_OBJECT_HANDLE b, CK_ULONG_PTR c))
UNSUPPORTED(C_EncryptInit, (U_SH, CK_MECHANISM_PTR b, CK_OBJECT_HANDLE c))
UNSUPPORTED(C_Encrypt, (U_SH, U_BUF))
UNSUPPORTED(C_EncryptUpdate, (U_SH, U_BUF))
UNSUPPORTED(C_EncryptFinal, (U_SH, CK_BYTE_PTR b, CK_ULONG_PTR c))
UNSUPPORTED(C_DecryptInit, (U_SH, CK_MECHANISM_PTR b, CK_OBJECT_HANDLE c))
UNSUPPORTED(C_Decrypt, (U_SH, U_BUF))
UNSUPPORTED(C_DecryptUpdate, (U_SH, U_BUF))
UNSUPPORTED(C_DecryptFinal, (U_SH, CK_BYTE_PTR b, CK_ULONG_PTR c))
UNSUPPORTED(C_DigestInit, (U_SH, CK_MECHANISM_PTR b))
UNSUPPORTED(C_Digest, (U_SH, U_BUF))
UNSUPPORTED(C_DigestUpdate, (U_SH, CK_BYTE_PTR b, CK_ULONG c))
UNSUPPORTED(C_DigestKey, (U_SH, CK_OBJECT_HANDLE b))
UNSUPPORTED(C_DigestFinal, (U_SH, CK_BYTE_PTR b, CK_ULONG_PTR c))
UNSUPPORTED(C_SignRecoverInit, (U_SH, CK_MECHANISM_PTR b, CK_OBJECT_HANDLE c))
UNSUPPORTED(C_SignRecover, (U_SH, U_BUF))
UNSUPPORTED(C_VerifyInit, (U_SH, CK_MECHANISM_PTR b, CK_OBJECT_HANDLE c))
UNSUPPORTED(C_Verify, (U_SH, CK_BYTE_PTR b, CK_ULONG c, CK_BYTE_PTR d, CK_ULONG e))
UNSUPPORTED(C_VerifyUpdate, (U_SH, CK_BYTE_PTR b, CK_ULONG c))
UNSUPPORTED(C_VerifyFinal, (U_SH, CK_BYTE_PTR b, CK_ULONG c))
UNSUPPORTED(C_VerifyRecoverInit, (U_SH, CK_MECHANISM_PTR b, CK_OBJECT_HANDLE c))
UNSUPPORTED(C_VerifyRecover, (U_SH, U_BUF))
UNSUPPORTED(C_DigestEncryptUpdate, (U_SH, U_BUF))
UNSUPPORTED(C_DecryptDigestUpdate, (U_SH, U_BUF))
UNSUPPORTED(C_SignEncryptUpdate, (U_SH, U_BUF))
UNSUPPORTED(C_DecryptVerifyUpdate, (U_SH, U_BUF))
UNSUPPORTED(C_GenerateKey, (U_SH, CK_MECHANISM_PTR b, CK_ATTRIBUTE_PTR c, CK_ULONG d, CK_OBJECT_HANDLE_PTR e))
UNSUPPORTED(C_WrapKey, (U_SH, CK_MECHANISM_PTR b, CK_OBJECT_HANDLE c, CK_OBJECT_HANDLE d, CK_BYTE_PTR e,
                        CK_ULONG_PTR f))
UNSUPPORTED(C_UnwrapKey, (U_SH, CK_MECHANISM_PTR b, CK_OBJECT_HANDLE c, CK_BYTE_PTR d, CK_ULONG e,
                          CK_ATTRIBUTE_PTR f, CK_ULONG g, CK_OBJECT_HANDLE_PTR h))
UNSUPPORTED(C_DeriveKey, (U_SH, CK_MECHANISM_PTR b, CK_OBJECT_HANDLE c, CK_ATTRIBUTE_PTR d, CK_ULONG e,
                          CK_OBJECT_HANDLE_PTR f))
UNSUPPORTED(C_GetFunctionStatus, (U_SH))
UNSUPPORTED(C_CancelFunction, (U_SH))
UNSUPPORTED(C_WaitForSlotEvent, (CK_FLAGS a, CK_SLOT_ID_PTR b, CK_VOID_PTR c))
#pragma GCC diagnostic pop

EXPORT CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR ppFunctionList);

static CK_FUNCTION_LIST g_functions = {
    {2, 40},
    C_Initialize, C_Finalize, C_GetInfo, C_GetFunctionList, C_GetSlotList, C_GetSlotInfo, C_GetTokenInfo,
    C_GetMechanismList, C_GetMechanismInfo, C_InitToken, C_InitPIN, C_SetPIN, C_OpenSession, C_CloseSession,
    C_CloseAllSessions, C_GetSessionInfo, C_GetOperationState_unsupported, C_SetOperationState_unsupported,
    C_Login, C_Logout, C_CreateObject, C_CopyObject_unsupported, C_DestroyObject, C_GetObjectSize_unsupported,
    C_GetAttributeValue, C_SetAttributeValue, C_FindObjectsInit, C_FindObjects, C_FindObjectsFinal,
    C_EncryptInit_unsupported, C_Encrypt_unsupported, C_EncryptUpdate_unsupported, C_EncryptFinal_unsupported,
    C_DecryptInit_unsupported, C_Decrypt_unsupported, C_DecryptUpdate_unsupported, C_DecryptFinal_unsupported,
    C_DigestInit_unsupported, C_Digest_unsupported, C_DigestUpdate_unsupported, C_DigestKey_unsupported,
    C_DigestFinal_unsupported, C_SignInit, C_Sign, C_SignUpdate, C_SignFinal, C_SignRecoverInit_unsupported,
    C_SignRecover_unsupported, C_VerifyInit_unsupported, C_Verify_unsupported, C_VerifyUpdate_unsupported,
    C_VerifyFinal_unsupported, C_VerifyRecoverInit_unsupported, C_VerifyRecover_unsupported,
    C_DigestEncryptUpdate_unsupported, C_DecryptDigestUpdate_unsupported, C_SignEncryptUpdate_unsupported,
    C_DecryptVerifyUpdate_unsupported, C_GenerateKey_unsupported, C_GenerateKeyPair, C_WrapKey_unsupported,
    C_UnwrapKey_unsupported, C_DeriveKey_unsupported, C_SeedRandom, C_GenerateRandom,
    C_GetFunctionStatus_unsupported, C_CancelFunction_unsupported, C_WaitForSlotEvent_unsupported,
};

EXPORT CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR ppFunctionList)
{
    if (!ppFunctionList)
        return CKR_ARGUMENTS_BAD;
    *ppFunctionList = &g_functions;
    return CKR_OK;
}
