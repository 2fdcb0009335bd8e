/* Reads SEALDESK_SM2_TEST_CONF (`key = value` lines); defaults mimic a Sansec-numbered vendor token. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p11sm2.h"

static char *trim(char *s)
{
    char *end;
    while (*s && isspace((unsigned char)*s))
        s++;
    end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}

static int parse_ulong(const char *text, CK_ULONG *out)
{
    char *end = NULL;
    unsigned long long v;
    if (!*text)
        return -1;
    errno = 0;
    v = strtoull(text, &end, 0);
    if (errno || !end || *end || v > (unsigned long long)(CK_ULONG)-1)
        return -1;
    *out = (CK_ULONG)v;
    return 0;
}

static void defaults(p11sm2_conf *conf)
{
    const char *home = getenv("HOME");
    memset(conf, 0, sizeof(*conf));
    snprintf(conf->store, sizeof(conf->store), "%s/.local/share/sealdesk/sm2-test-token",
             home && *home ? home : "/tmp");
    conf->slots = 2;
    conf->max_pin_tries = 6;
    conf->mech_sm2_raw = 0x80008104UL;
    conf->mech_sm3_sm2 = 0x80008100UL;
    conf->mech_sm2_keygen = 0x80008001UL;
    conf->key_type_sm2 = 0x80000004UL;
    conf->signature_der = 0;
}

/* 0 on success; -1 when the file named by the variable cannot be read or has a bad line. */
int p11sm2_conf_load(p11sm2_conf *conf)
{
    const char *path = getenv("SEALDESK_SM2_TEST_CONF");
    char line[P11SM2_MAX_PATH + 64];
    FILE *f;
    int rc = 0;

    defaults(conf);
    if (!path || !*path)
        return 0;
    f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f)) {
        char *key, *value, *eq, *hash;
        CK_ULONG num = 0;
        hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        key = trim(line);
        if (!*key)
            continue;
        eq = strchr(key, '=');
        if (!eq) {
            rc = -1;
            break;
        }
        *eq = '\0';
        key = trim(key);
        value = trim(eq + 1);
        if (!strcmp(key, "store")) {
            if (!*value || strlen(value) >= sizeof(conf->store) - 64) {
                rc = -1;
                break;
            }
            strcpy(conf->store, value);
        } else if (!strcmp(key, "signature_format")) {
            if (!strcmp(value, "raw"))
                conf->signature_der = 0;
            else if (!strcmp(value, "der"))
                conf->signature_der = 1;
            else {
                rc = -1;
                break;
            }
        } else if (parse_ulong(value, &num) != 0) {
            rc = -1;
            break;
        } else if (!strcmp(key, "slots")) {
            if (num < 1 || num > P11SM2_MAX_SLOTS) {
                rc = -1;
                break;
            }
            conf->slots = num;
        } else if (!strcmp(key, "max_pin_tries")) {
            if (num < 1 || num > 1000) {
                rc = -1;
                break;
            }
            conf->max_pin_tries = num;
        } else if (!strcmp(key, "mech_sm2_raw"))
            conf->mech_sm2_raw = num;
        else if (!strcmp(key, "mech_sm3_sm2"))
            conf->mech_sm3_sm2 = num;
        else if (!strcmp(key, "mech_sm2_keygen"))
            conf->mech_sm2_keygen = num;
        else if (!strcmp(key, "key_type_sm2"))
            conf->key_type_sm2 = num;
        else {
            rc = -1; /* an unknown key is a typo a test would otherwise silently ignore */
            break;
        }
    }
    fclose(f);
    return rc;
}
