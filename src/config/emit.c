/* Schema-driven output: the fully resolved experiment as YAML (every key, defaults filled,
 * in table order, numbers in their shortest round-trip form so that loading the output
 * and writing it again gives the same bytes), and the schema table for `clnet help config`. */
#include "config/schema.h"

#include "config/experiment.h"
#include "util/wrap.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void put_double(FILE *f, double x)
{
    char buf[40];
    /* Range first: converting a double outside long long's range is undefined. */
    if (x > -1e15 && x < 1e15 && x == (double)(long long)x && !(x == 0 && signbit(x))) {
        fprintf(f, "%lld", (long long)x); /* 2000, not 2e+03 */
        return;
    }
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, sizeof buf, "%.*g", p, x);
        if (strtod(buf, NULL) == x) break;
    }
    fputs(buf, f);
}

static void put_float(FILE *f, float x)
{
    char buf[40];
    for (int p = 1; p <= 9; p++) {
        snprintf(buf, sizeof buf, "%.*g", p, (double)x);
        if ((float)strtod(buf, NULL) == x) break;
    }
    fputs(buf, f);
}

/* Always double-quoted: safe for any text (colons, '#', leading spaces, "true"). */
static void put_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7F)
            fprintf(f, "\\x%02X", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static bool table_present(const struct table *t, const void *base);

static bool field_present(const struct field *fl, const void *base)
{
    const char *p = (const char *)base + fl->off;
    if (fl->flags & FL_LOADER) return false;
    if (fl->flags & FL_PRESENT) return *(const bool *)((const char *)base + fl->present_off);
    switch (fl->type) {
    case FT_STR:
        return *(char *const *)p != NULL;
    case FT_MATRIX:
        return ((const struct layer_spec *)base)->dense.weights != NULL;
    case FT_VECTOR:
        return ((const struct layer_spec *)base)->dense.bias != NULL;
    case FT_CHOICE:
        return schema_alt_by_value(fl->choice, *(const int *)(p + fl->choice->kind_off)) != NULL;
    case FT_MAP:
        return table_present(fl->table, p);
    case FT_LOSS_R:
        return ((const struct loss_r_spec *)p)->kind != LOSS_R_NONE;
    default:
        return true;
    }
}

static bool table_present(const struct table *t, const void *base)
{
    for (int i = 0; i < t->n; i++)
        if (field_present(&t->fields[i], base)) return true;
    return false;
}

static void put_flow_table(FILE *f, const struct table *t, const void *base);
static void put_choice(FILE *f, const struct choice *c, const void *base);

static void put_floats(FILE *f, const float *x, int n)
{
    fputc('[', f);
    for (int i = 0; i < n; i++) {
        if (i) fputs(", ", f);
        put_float(f, x[i]);
    }
    fputc(']', f);
}

/* The values written as lists: a pair (a number when square), the input dims, inline weights
 * and biases. */
static void put_list_value(FILE *f, const struct field *fl, const void *base)
{
    const char *p = (const char *)base + fl->off;
    const struct experiment *e = base;
    const struct layer_spec *l = base;
    if (fl->type == FT_PAIR) {
        const int *v = (const int *)p;
        if (v[0] == v[1] && (fl->flags & FL_SQUARE))
            fprintf(f, "%d", v[0]);
        else
            fprintf(f, "[%d, %d]", v[0], v[1]);
    } else if (fl->type == FT_DIMS) {
        fputc('[', f);
        for (int i = 0; i < e->input_rank; i++)
            fprintf(f, "%s%d", i ? ", " : "", e->input[i]);
        fputc(']', f);
    } else if (fl->type == FT_MATRIX) {
        fputc('[', f);
        for (int r = 0; r < l->dense.weight_rows; r++) {
            fputs(r ? ", " : "", f);
            put_floats(f, l->dense.weights + (size_t)r * (size_t)l->dense.weight_cols,
                       l->dense.weight_cols);
        }
        fputc(']', f);
    } else if (fl->type == FT_VECTOR) {
        put_floats(f, l->dense.bias, l->dense.bias_len);
    }
}

/* A linear term's r: 0.001, [0.5, 1], or {file: "...", tensor: "r"}. */
static void put_loss_r(FILE *f, const struct loss_r_spec *r)
{
    if (r->kind == LOSS_R_CONSTANT) {
        put_double(f, r->constant);
    } else if (r->kind == LOSS_R_LIST) {
        put_floats(f, r->values, r->n);
    } else {
        fputs("{file: ", f);
        put_string(f, r->file);
        fputs(", tensor: ", f);
        put_string(f, r->tensor);
        fputc('}', f);
    }
}

static void put_flow_value(FILE *f, const struct field *fl, const void *base)
{
    const char *p = (const char *)base + fl->off;
    switch (fl->type) {
    case FT_INT:
        fprintf(f, "%d", *(const int *)p);
        break;
    case FT_LONG:
        fprintf(f, "%ld", *(const long *)p);
        break;
    case FT_U64:
        fprintf(f, "%" PRIu64, *(const uint64_t *)p);
        break;
    case FT_DOUBLE:
        put_double(f, *(const double *)p);
        break;
    case FT_BOOL:
        fputs(*(const bool *)p ? "true" : "false", f);
        break;
    case FT_STR:
        put_string(f, *(char *const *)p);
        break;
    case FT_ENUM:
        fputs(schema_word_name(fl->words, *(const int *)p), f);
        break;
    case FT_PAIR:
    case FT_DIMS:
    case FT_MATRIX:
    case FT_VECTOR:
        put_list_value(f, fl, base);
        break;
    case FT_MAP:
        put_flow_table(f, fl->table, p);
        break;
    case FT_CHOICE:
        put_choice(f, fl->choice, p);
        break;
    case FT_LOSS_R:
        put_loss_r(f, (const struct loss_r_spec *)p);
        break;
    case FT_LOSS: /* the word; the list form is block style (put_block_table) */
        if (!((const struct train_spec *)base)->n_terms)
            fputs(schema_word_name(fl->words, *(const int *)p), f);
        break;
    case FT_LAYERS:
        break; /* always block style (put_block_table) */
    }
}

/* The table's present keys, "a: 1, b: 2"; returns how many. */
static int put_flow_fields(FILE *f, const struct table *t, const void *base)
{
    int k = 0;
    for (int i = 0; i < t->n; i++) {
        const struct field *fl = &t->fields[i];
        if (!field_present(fl, base)) continue;
        fprintf(f, "%s%s: ", k++ ? ", " : "", fl->key);
        put_flow_value(f, fl, base);
    }
    return k;
}

static void put_flow_table(FILE *f, const struct table *t, const void *base)
{
    fputc('{', f);
    put_flow_fields(f, t, base);
    fputc('}', f);
}

static void put_choice(FILE *f, const struct choice *c, const void *base)
{
    const struct alternative *alt =
        schema_alt_by_value(c, *(const int *)((const char *)base + c->kind_off));
    if (!alt) {
        fputs("null", f);
        return;
    }
    if (!alt->value_field) {
        fputs(alt->word, f);
        return;
    }
    fprintf(f, "{%s: ", alt->word);
    put_flow_value(f, alt->value_field, base);
    fputc('}', f);
}

/* A layer's name: and from: (config/layer_graph.c), after its kind's keys: ", name: ..." */
static void put_layer_graph(FILE *f, const struct layer_spec *l, bool first)
{
    if (l->name) {
        fputs(first ? "name: " : ", name: ", f);
        put_string(f, l->name);
        first = false;
    }
    if (l->n_from == 0) return;
    fputs(first ? "from: [" : ", from: [", f);
    for (int k = 0; k < l->n_from; k++) {
        if (k) fputs(", ", f);
        put_string(f, l->from[k]);
    }
    fputc(']', f);
}

/* "- dense: {units: 10}" reads better in a block list than "- {dense: {units: 10}}". A
 * graph's name: and from: go inside the kind's map, or beside a kind whose value is not a
 * map: "- {activation: relu, name: \"a\"}". */
static void put_layer(FILE *f, const struct choice *c, const void *base)
{
    const struct layer_spec *l = base;
    const struct alternative *alt =
        schema_alt_by_value(c, *(const int *)((const char *)base + c->kind_off));
    const struct field *vf = alt ? alt->value_field : NULL;
    bool graph = l->name || l->n_from;
    if (!alt || (!vf && !graph)) {
        put_choice(f, c, base);
    } else if (!graph) {
        fprintf(f, "%s: ", alt->word);
        put_flow_value(f, vf, base);
    } else if (vf && vf->type != FT_MAP) {
        fprintf(f, "{%s: ", alt->word);
        put_flow_value(f, vf, base);
        put_layer_graph(f, l, false);
        fputc('}', f);
    } else {
        fprintf(f, "%s: {", alt->word);
        int k = vf ? put_flow_fields(f, vf->table, (const char *)base + vf->off) : 0;
        put_layer_graph(f, l, k == 0);
        fputc('}', f);
    }
}

/* train.loss's list form, one term a line: "- mse: {on: \"y\", target: \"clean\", ...}". */
static void put_loss_terms(FILE *f, const struct choice *c, const struct train_spec *t,
                           int indent)
{
    fputc('\n', f);
    for (int k = 0; k < t->n_terms; k++) {
        const struct alternative *alt = schema_alt_by_value(c, t->terms[k].kind);
        fprintf(f, "%*s- %s: ", indent, "", alt->word);
        put_flow_table(f, alt->value_field->table, &t->terms[k]);
        fputc('\n', f);
    }
}

static void put_block_table(FILE *f, const struct table *t, const void *base, int indent)
{
    for (int i = 0; i < t->n; i++) {
        const struct field *fl = &t->fields[i];
        if (!field_present(fl, base)) continue;
        fprintf(f, "%*s%s:", indent, "", fl->key);
        if (fl->type == FT_MAP) {
            fputc('\n', f);
            put_block_table(f, fl->table, (const char *)base + fl->off, indent + 2);
        } else if (fl->type == FT_LAYERS) {
            const struct experiment *e = base;
            fputc('\n', f);
            for (int k = 0; k < e->n_layers; k++) {
                fprintf(f, "%*s- ", indent + 2, "");
                put_layer(f, fl->choice, &e->layers[k]);
                fprintf(f, "  # layer %d\n", k);
            }
        } else if (fl->type == FT_LOSS && ((const struct train_spec *)base)->n_terms) {
            put_loss_terms(f, fl->choice, base, indent + 2);
        } else {
            fputc(' ', f);
            put_flow_value(f, fl, base);
            fputc('\n', f);
        }
    }
}

int schema_emit(const struct experiment *e, FILE *f)
{
    fputs("# Fully resolved by clnet: defaults filled in, base: files merged.\n", f);
    put_block_table(f, &schema_top, e, 0);
    return ferror(f) ? -1 : 0;
}

/* ---- clnet help config */

static void type_text(char *buf, size_t size, const struct field *fl)
{
    char rng[96] = "";
    unsigned r = fl->rng;
    if ((r & (RNG_MIN | RNG_MIN_EXCL)) && (r & (RNG_MAX | RNG_MAX_EXCL)))
        snprintf(rng, sizeof rng, " in %c%g, %g%c", r & RNG_MIN_EXCL ? '(' : '[', fl->min, fl->max,
                 r & RNG_MAX_EXCL ? ')' : ']');
    else if (r & (RNG_MIN | RNG_MIN_EXCL))
        snprintf(rng, sizeof rng, " %s %g", r & RNG_MIN_EXCL ? ">" : ">=", fl->min);
    size_t used = 0;
    switch (fl->type) {
    case FT_INT:
    case FT_LONG:
    case FT_U64:
        snprintf(buf, size, "int%s", rng);
        return;
    case FT_DOUBLE:
        snprintf(buf, size, "float%s", rng);
        return;
    case FT_BOOL:
        snprintf(buf, size, "bool");
        return;
    case FT_STR:
        snprintf(buf, size, "%s", fl->flags & FL_PATH ? "path" : "string");
        return;
    case FT_PAIR:
        snprintf(buf, size, "int or [r, c]%s", rng);
        return;
    case FT_DIMS:
        snprintf(buf, size, "[F] or [C, H, W]");
        return;
    case FT_MATRIX:
        snprintf(buf, size, "list of rows");
        return;
    case FT_VECTOR:
        snprintf(buf, size, "list of floats");
        return;
    case FT_MAP:
        snprintf(buf, size, "map");
        return;
    case FT_LAYERS:
        snprintf(buf, size, "list of layers");
        return;
    case FT_LOSS:
        snprintf(buf, size, "word or list of terms");
        return;
    case FT_LOSS_R:
        snprintf(buf, size, "float, list or map");
        return;
    case FT_ENUM:
        buf[0] = '\0';
        for (int i = 0; i < fl->words->n && used < size; i++)
            used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? "|" : "",
                                     fl->words->list[i].word);
        return;
    case FT_CHOICE:
        snprintf(buf, size, "choice");
        return;
    }
}

/* A key's line holds the key and its type (the longest key, 46 columns, and a space before
 * the type column); the next, indented, its meaning and default, wrapped to fit 100 columns. */
#define HELP_TYPE_COLUMN 47

static void help_line(FILE *f, const char *key, const char *type, const char *def,
                      const char *doc)
{
    wrap_entry(f, key, HELP_TYPE_COLUMN, type, WRAP_HELP_COLUMNS);
    char meaning[512];
    if (strcmp(def, "-") == 0)
        snprintf(meaning, sizeof meaning, "%s", doc);
    else if (strcmp(def, "required") == 0)
        snprintf(meaning, sizeof meaning, "%s (required)", doc);
    else
        snprintf(meaning, sizeof meaning, "%s (default %s)", doc, def);
    fputs("    ", f);
    wrap_text(f, meaning, 4, 4, WRAP_HELP_COLUMNS);
}

static void help_row(FILE *f, const char *path, const struct field *fl, const char *doc)
{
    char type[160];
    type_text(type, sizeof type, fl);
    const char *def = fl->flags & FL_REQUIRED ? "required" : fl->def ? fl->def : "-";
    help_line(f, path, type, def, doc ? doc : fl->doc);
}

struct seen {
    const void *id[16]; /* choices and tables already expanded */
    char path[16][192];
    int n;
};

static void help_table(FILE *f, const struct table *t, const char *prefix, struct seen *s);

static void help_choice(FILE *f, const struct choice *c, const char *path, struct seen *s)
{
    for (int i = 0; i < c->n_alts; i++) {
        const struct alternative *alt = &c->alts[i];
        char sub[192];
        snprintf(sub, sizeof sub, "%s.%s", path, alt->word);
        if (!alt->value_field) {
            help_line(f, sub, "(word alone)", "-", alt->doc);
        } else if (alt->value_field->type == FT_MAP) {
            help_line(f, sub, "map", "-", alt->value_field->doc);
            help_table(f, alt->value_field->table, sub, s);
        } else {
            help_row(f, sub, alt->value_field, NULL);
        }
    }
}

static void help_table(FILE *f, const struct table *t, const char *prefix, struct seen *s)
{
    for (int i = 0; i < t->n; i++) {
        const struct field *fl = &t->fields[i];
        char path[192];
        snprintf(path, sizeof path, "%s%s%s", prefix, prefix[0] ? "." : "", fl->key);
        if (fl->type == FT_CHOICE || fl->type == FT_MAP) {
            const void *id = fl->type == FT_MAP ? (const void *)fl->table : fl->choice;
            int k = 0;
            while (k < s->n && s->id[k] != id)
                k++;
            if (k < s->n) { /* expanded once; later uses refer back */
                char doc[256];
                snprintf(doc, sizeof doc, "%s (as %s)", fl->doc, s->path[k]);
                help_row(f, path, fl, doc);
                continue;
            }
            if (s->n < 16) {
                s->id[s->n] = id;
                snprintf(s->path[s->n++], sizeof s->path[0], "%s", path);
            }
            help_row(f, path, fl, NULL);
            if (fl->type == FT_MAP)
                help_table(f, fl->table, path, s);
            else
                help_choice(f, fl->choice, path, s);
        } else if (fl->type == FT_LAYERS || fl->type == FT_LOSS) {
            help_row(f, path, fl, NULL);
            char item[200];
            snprintf(item, sizeof item, "%s.N", path);
            help_choice(f, fl->choice, item, s);
        } else {
            help_row(f, path, fl, NULL);
        }
    }
}

void schema_print_help(FILE *f)
{
    struct seen s = {.n = 0};
    help_line(f, "KEY", "TYPE", "-", "MEANING (and the default)");
    help_table(f, &schema_top, "", &s);
    fputs("\nA choice is written as its word alone (`he`, `constant`, `flatten`) or as a map with\n"
          "one key ({adam: {lr: 0.003}}, {constant: 0.1}). Layers are numbered from 0, as in\n"
          "the weight names layers.I.weight; --set uses the same paths\n"
          "(train.iterations=200, model.layers.4.dense.units=50).\n",
          f);
}
