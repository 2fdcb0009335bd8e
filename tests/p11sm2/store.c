/* The store: one file per token, `<store>/token<slot>.bin`, length-prefixed little-endian records.
 * Written as tmp + fsync + rename (a reader sees the old or the new file, never half of one); writers
 * serialise on flock(`token<slot>.lock`) around read-modify-write so two processes do not lose updates.
 *
 * Layout: "P11SM2S1", u32 initialized, u32 user_pin_set, u32 user_fails, u32 so_fails, label[32],
 * serial[16], so_salt[16], so_hash[32], user_salt[16], user_hash[32], u64 next_handle, u32 nobj, then per
 * object: u64 handle, u32 nattr, per attribute: u64 type, u32 len, len bytes. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "p11sm2.h"

#define MAGIC "P11SM2S1"
#define MAX_FILE (64u << 20)
#define MAX_OBJECTS 100000u
#define MAX_ATTRS 256u

void p11sm2_obj_free(p11_obj *obj)
{
    size_t i;
    if (!obj)
        return;
    for (i = 0; i < obj->n; i++) {
        if (obj->attrs[i].val) {
            memset(obj->attrs[i].val, 0, obj->attrs[i].len); /* private key values too */
            free(obj->attrs[i].val);
        }
    }
    free(obj->attrs);
    obj->attrs = NULL;
    obj->n = 0;
}

void p11sm2_token_clear(p11_token *tok)
{
    size_t i;
    for (i = 0; i < tok->nobj; i++)
        p11sm2_obj_free(&tok->objs[i]);
    free(tok->objs);
    memset(tok, 0, sizeof(*tok));
}

static void path_of(const p11sm2_conf *conf, CK_SLOT_ID slot, const char *suffix, char *out, size_t size)
{
    snprintf(out, size, "%s/token%lu%s", conf->store, (unsigned long)slot, suffix);
}

static int ensure_dir(const char *dir)
{
    char tmp[P11SM2_MAX_PATH];
    size_t i, len = strlen(dir);
    if (len == 0 || len >= sizeof(tmp))
        return -1;
    memcpy(tmp, dir, len + 1);
    for (i = 1; i <= len; i++) {
        if (tmp[i] == '/' || tmp[i] == '\0') {
            char saved = tmp[i];
            tmp[i] = '\0';
            if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
                return -1;
            tmp[i] = saved;
        }
    }
    return 0;
}

/* ---- reading ---- */

typedef struct reader {
    const unsigned char *p;
    size_t left;
} reader;

static int rd_bytes(reader *r, void *out, size_t n)
{
    if (r->left < n)
        return -1;
    memcpy(out, r->p, n);
    r->p += n;
    r->left -= n;
    return 0;
}

static int rd_u32(reader *r, uint32_t *v)
{
    unsigned char b[4];
    if (rd_bytes(r, b, 4))
        return -1;
    *v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return 0;
}

static int rd_u64(reader *r, uint64_t *v)
{
    uint32_t lo, hi;
    if (rd_u32(r, &lo) || rd_u32(r, &hi))
        return -1;
    *v = (uint64_t)lo | (uint64_t)hi << 32;
    return 0;
}

static int parse(const unsigned char *data, size_t size, p11_token *tok)
{
    reader r = {data, size};
    char magic[8];
    uint32_t a, b, c, d, nobj, i, j;
    if (rd_bytes(&r, magic, 8) || memcmp(magic, MAGIC, 8))
        return -1;
    if (rd_u32(&r, &a) || rd_u32(&r, &b) || rd_u32(&r, &c) || rd_u32(&r, &d))
        return -1;
    tok->initialized = a != 0;
    tok->user_pin_set = b != 0;
    tok->user_fails = c;
    tok->so_fails = d;
    if (rd_bytes(&r, tok->label, 32) || rd_bytes(&r, tok->serial, 16) || rd_bytes(&r, tok->so_salt, 16) ||
        rd_bytes(&r, tok->so_hash, 32) || rd_bytes(&r, tok->user_salt, 16) || rd_bytes(&r, tok->user_hash, 32) ||
        rd_u64(&r, &tok->next_handle) || rd_u32(&r, &nobj))
        return -1;
    if (nobj > MAX_OBJECTS || nobj > r.left / 12)
        return -1;
    tok->objs = calloc(nobj ? nobj : 1, sizeof(p11_obj));
    if (!tok->objs)
        return -1;
    for (i = 0; i < nobj; i++) {
        p11_obj *o = &tok->objs[i];
        uint64_t h;
        uint32_t nattr;
        if (rd_u64(&r, &h) || rd_u32(&r, &nattr) || nattr > MAX_ATTRS || nattr > r.left / 12)
            return -1;
        o->handle = (CK_OBJECT_HANDLE)h;
        o->is_token = 1;
        o->attrs = calloc(nattr ? nattr : 1, sizeof(p11_attr));
        if (!o->attrs)
            return -1;
        tok->nobj = i + 1;
        for (j = 0; j < nattr; j++) {
            uint64_t type;
            uint32_t len;
            if (rd_u64(&r, &type) || rd_u32(&r, &len) || len > r.left)
                return -1;
            o->attrs[j].type = (CK_ATTRIBUTE_TYPE)type;
            o->attrs[j].len = len;
            o->attrs[j].val = malloc(len ? len : 1);
            if (!o->attrs[j].val)
                return -1;
            o->n = j + 1;
            if (rd_bytes(&r, o->attrs[j].val, len))
                return -1;
        }
    }
    return r.left == 0 ? 0 : -1;
}

/* Missing file: an uninitialised token (CKR_OK). Unreadable or corrupt: CKR_DEVICE_ERROR. */
CK_RV p11sm2_store_load(const p11sm2_conf *conf, CK_SLOT_ID slot, p11_token *tok)
{
    char path[P11SM2_MAX_PATH + 32];
    unsigned char *data;
    struct stat st;
    size_t got = 0;
    int fd;
    p11sm2_token_clear(tok);
    path_of(conf, slot, ".bin", path, sizeof(path));
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? CKR_OK : CKR_DEVICE_ERROR;
    if (fstat(fd, &st) != 0 || st.st_size < 0 || (unsigned long long)st.st_size > MAX_FILE) {
        close(fd);
        return CKR_DEVICE_ERROR;
    }
    data = malloc((size_t)st.st_size + 1);
    if (!data) {
        close(fd);
        return CKR_HOST_MEMORY;
    }
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, data + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (got != (size_t)st.st_size || parse(data, got, tok) != 0) {
        memset(data, 0, got);
        free(data);
        p11sm2_token_clear(tok);
        return CKR_DEVICE_ERROR;
    }
    memset(data, 0, got);
    free(data);
    return CKR_OK;
}

/* ---- writing ---- */

typedef struct writer {
    unsigned char *buf;
    size_t len, cap;
    int failed;
} writer;

static void wr_bytes(writer *w, const void *p, size_t n)
{
    if (w->failed)
        return;
    if (w->len + n > w->cap) {
        size_t cap = w->cap ? w->cap : 4096;
        unsigned char *nb;
        while (cap < w->len + n)
            cap *= 2;
        nb = realloc(w->buf, cap);
        if (!nb) {
            w->failed = 1;
            return;
        }
        w->buf = nb;
        w->cap = cap;
    }
    if (n)
        memcpy(w->buf + w->len, p, n);
    w->len += n;
}

static void wr_u32(writer *w, uint32_t v)
{
    unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    wr_bytes(w, b, 4);
}

static void wr_u64(writer *w, uint64_t v)
{
    wr_u32(w, (uint32_t)v);
    wr_u32(w, (uint32_t)(v >> 32));
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

CK_RV p11sm2_store_save(const p11sm2_conf *conf, CK_SLOT_ID slot, const p11_token *tok)
{
    char path[P11SM2_MAX_PATH + 32], tmp[P11SM2_MAX_PATH + 48];
    writer w = {NULL, 0, 0, 0};
    size_t i, j;
    int fd, ok;
    wr_bytes(&w, MAGIC, 8);
    wr_u32(&w, (uint32_t)tok->initialized);
    wr_u32(&w, (uint32_t)tok->user_pin_set);
    wr_u32(&w, (uint32_t)tok->user_fails);
    wr_u32(&w, (uint32_t)tok->so_fails);
    wr_bytes(&w, tok->label, 32);
    wr_bytes(&w, tok->serial, 16);
    wr_bytes(&w, tok->so_salt, 16);
    wr_bytes(&w, tok->so_hash, 32);
    wr_bytes(&w, tok->user_salt, 16);
    wr_bytes(&w, tok->user_hash, 32);
    wr_u64(&w, tok->next_handle);
    wr_u32(&w, (uint32_t)tok->nobj);
    for (i = 0; i < tok->nobj; i++) {
        const p11_obj *o = &tok->objs[i];
        wr_u64(&w, o->handle);
        wr_u32(&w, (uint32_t)o->n);
        for (j = 0; j < o->n; j++) {
            wr_u64(&w, o->attrs[j].type);
            wr_u32(&w, (uint32_t)o->attrs[j].len);
            wr_bytes(&w, o->attrs[j].val, o->attrs[j].len);
        }
    }
    if (w.failed || ensure_dir(conf->store) != 0) {
        free(w.buf);
        return w.failed ? CKR_HOST_MEMORY : CKR_DEVICE_ERROR;
    }
    path_of(conf, slot, ".bin", path, sizeof(path));
    snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)getpid());
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ok = fd >= 0 && write_all(fd, w.buf, w.len) == 0 && fsync(fd) == 0;
    if (fd >= 0)
        ok = close(fd) == 0 && ok;
    memset(w.buf, 0, w.len);
    free(w.buf);
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return CKR_DEVICE_ERROR;
    }
    {
        int dfd = open(conf->store, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
    }
    return CKR_OK;
}

/* An exclusive lock on the token's lock file; -1 when it cannot be had. */
int p11sm2_store_lock(const p11sm2_conf *conf, CK_SLOT_ID slot)
{
    char path[P11SM2_MAX_PATH + 32];
    int fd;
    if (ensure_dir(conf->store) != 0)
        return -1;
    path_of(conf, slot, ".lock", path, sizeof(path));
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    while (flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            close(fd);
            return -1;
        }
    }
    return fd;
}

void p11sm2_store_unlock(int fd)
{
    if (fd >= 0) {
        flock(fd, LOCK_UN);
        close(fd);
    }
}
