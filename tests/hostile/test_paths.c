/* Hostile input, containment of paths and symbolic links (issue 21, classes 1 and 2): a run's
 * name and --out never put a write outside the run, never overwrite a file clnet did not
 * create, and a symbolic link planted in a run directory never redirects a write. Each case
 * runs clnet in a folder of its own and compares a snapshot of the whole test folder before
 * and after. */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../harness.h"
#include "hostile.h"

#define SECONDS 60 /* a refusal takes well under a second; a run of 2 steps a few */
#define MEM_MIB 4096

/* `clnet COMMAND c.yaml` in a fresh folder whose config names the run `name`: refused with
 * exit 2 and one line naming the problem, nothing written anywhere. */
static void refuse_name(const char *folder, const char *command, const char *name)
{
    char *dir = hostile_dir(folder);
    hostile_config(dir, "c.yaml", name, NULL);
    struct run_result r;
    const char *argv[] = {command, "c.yaml", NULL};
    hostile_run_in(&r, dir, argv, NULL, SECONDS, MEM_MIB);
    const char *const words[] = {"c.yaml", "cannot name a run folder", NULL};
    hostile_assert_error(&r, 2, words);
}

START_TEST(name_up_two) { refuse_name("n1", "train", "../../x"); }
END_TEST
START_TEST(name_dotdot) { refuse_name("n2", "train", ".."); }
END_TEST
START_TEST(name_dot) { refuse_name("n3", "train", "."); }
END_TEST
START_TEST(name_slash) { refuse_name("n4", "train", "a/b"); }
END_TEST
START_TEST(name_absolute) { refuse_name("n5", "train", "/tmp/x"); }
END_TEST
START_TEST(name_summary) { refuse_name("n6", "summary", "../x"); }
END_TEST
START_TEST(name_eval) { refuse_name("n7", "eval", ".."); }
END_TEST

/* A newline in the name: still one line on stderr. */
START_TEST(name_newline)
{
    char *dir = hostile_dir("n8");
    hostile_config(dir, "c.yaml", NULL, "name: \"a\\nb\"\n");
    struct run_result r;
    const char *argv[] = {"train", "c.yaml", NULL};
    hostile_run_in(&r, dir, argv, NULL, SECONDS, MEM_MIB);
    const char *const words[] = {"control character", NULL};
    hostile_assert_error(&r, 2, words);
}
END_TEST

/* --set name=..: blamed on the --set argument, nothing written. */
START_TEST(name_from_set)
{
    char *dir = hostile_dir("n9");
    hostile_config(dir, "c.yaml", NULL, NULL);
    struct run_result r;
    const char *argv[] = {"train", "c.yaml", "--set", "name=../escape", NULL};
    hostile_run_in(&r, dir, argv, NULL, SECONDS, MEM_MIB);
    const char *const words[] = {"--set", "cannot name a run folder", NULL};
    hostile_assert_error(&r, 2, words);
}
END_TEST

/* A file named "..yaml" gives the run name "." unless name: is set. */
START_TEST(name_from_file)
{
    char *dir = hostile_dir("n10");
    hostile_config(dir, "..yaml", NULL, NULL);
    struct run_result r;
    const char *argv[] = {"train", "..yaml", NULL};
    hostile_run_in(&r, dir, argv, NULL, SECONDS, MEM_MIB);
    const char *const words[] = {"..yaml", "set name:", NULL};
    hostile_assert_error(&r, 2, words);
}
END_TEST

/* --out . in the folder of the user's own config: refused, config.yaml untouched. */
START_TEST(out_dot_with_user_files)
{
    char *dir = hostile_dir("o1");
    hostile_config(dir, "config.yaml", NULL, "# the user's comments\n");
    struct run_result r;
    const char *argv[] = {"train", "config.yaml", "--out", ".", NULL};
    hostile_run_in(&r, dir, argv, NULL, SECONDS, MEM_MIB);
    const char *const words[] = {"not a clnet run", NULL};
    hostile_assert_error(&r, 2, words);
}
END_TEST

/* --out naming a regular file, a FIFO: refused at once, untouched. */
START_TEST(out_regular_file)
{
    char *dir = hostile_dir("o2");
    hostile_config(dir, "c.yaml", NULL, NULL);
    hostile_file(dir, "precious.txt", "mine\n");
    struct run_result r;
    const char *argv[] = {"train", "c.yaml", "--out", "precious.txt", NULL};
    hostile_run_in(&r, dir, argv, NULL, SECONDS, MEM_MIB);
    const char *const words[] = {"precious.txt", "a regular file", NULL};
    hostile_assert_error(&r, 2, words);
}
END_TEST

START_TEST(out_fifo)
{
    char *dir = hostile_dir("o3");
    hostile_config(dir, "c.yaml", NULL, NULL);
    char *fifo = NULL;
    ck_assert_int_ge(asprintf(&fifo, "%s/pipe", dir), 0);
    ck_assert_int_eq(mkfifo(fifo, 0644), 0);
    struct run_result r;
    const char *argv[] = {"train", "c.yaml", "--out", "pipe", NULL};
    hostile_run_in(&r, dir, argv, NULL, SECONDS, MEM_MIB);
    const char *const words[] = {"pipe", "a FIFO", NULL};
    hostile_assert_error(&r, 2, words);
    free(fifo);
}
END_TEST

/* --out at a folder of someone else's files. */
START_TEST(out_foreign_folder)
{
    char *dir = hostile_dir("o4");
    hostile_config(dir, "c.yaml", NULL, NULL);
    char *sub = hostile_dir("o4/thesis");
    hostile_file(sub, "metrics.csv", "my own numbers\n");
    struct run_result r;
    const char *argv[] = {"train", "c.yaml", "--out", "thesis", NULL};
    hostile_run_in(&r, dir, argv, NULL, SECONDS, MEM_MIB);
    const char *const words[] = {"thesis", "not a clnet run", NULL};
    hostile_assert_error(&r, 2, words);
}
END_TEST

/* An empty folder, and the same run again: trains, writes only inside it. */
START_TEST(out_empty_folder_then_again)
{
    char *dir = hostile_dir("o5");
    hostile_config(dir, "c.yaml", NULL, NULL);
    hostile_dir("o5/empty");
    struct run_result r;
    const char *argv[] = {"train", "c.yaml", "--out", "empty", NULL};
    const char *const allowed[] = {"o5/empty", NULL};
    hostile_run_in(&r, dir, argv, allowed, SECONDS, MEM_MIB);
    ck_assert_msg(r.exit_code == 0, "exit %d: %s", r.exit_code, r.err);
    hostile_run_in(&r, dir, argv, allowed, SECONDS, MEM_MIB);
    ck_assert_msg(r.exit_code == 0 && strstr(r.out, "already completed"), "exit %d: %s%s",
                  r.exit_code, r.out, r.err);
}
END_TEST

/* runs/NAME planted as a link to a folder elsewhere: refused, the target untouched. */
START_TEST(run_dir_planted_link)
{
    char *dir = hostile_dir("o6");
    hostile_config(dir, "c.yaml", "victim", NULL);
    char *target = hostile_dir("o6-target");
    hostile_dir("o6/runs");
    char *link = NULL;
    ck_assert_int_ge(asprintf(&link, "%s/runs/victim", dir), 0);
    ck_assert_int_eq(symlink(target, link), 0);
    struct run_result r;
    const char *argv[] = {"train", "c.yaml", NULL};
    hostile_run_in(&r, dir, argv, NULL, SECONDS, MEM_MIB);
    const char *const words[] = {"runs/victim", "symbolic link", NULL};
    hostile_assert_error(&r, 2, words);
    free(link);
}
END_TEST

/* --out naming a link the user made to an empty folder: followed (they named it). */
START_TEST(out_explicit_link)
{
    char *dir = hostile_dir("o7");
    hostile_config(dir, "c.yaml", NULL, NULL);
    char *target = hostile_dir("o7-scratch");
    char *link = NULL;
    ck_assert_int_ge(asprintf(&link, "%s/scratch", dir), 0);
    ck_assert_int_eq(symlink(target, link), 0);
    struct run_result r;
    const char *argv[] = {"train", "c.yaml", "--out", "scratch", NULL};
    const char *const allowed[] = {"o7-scratch", NULL};
    hostile_run_in(&r, dir, argv, allowed, SECONDS, MEM_MIB);
    ck_assert_msg(r.exit_code == 0, "exit %d: %s", r.exit_code, r.err);
    free(link);
}
END_TEST

/* ---- links planted inside a run directory ------------------------------------------------ */

/* A finished run in folder/runs/r, with a file of the run replaced by a link to a victim file
 * outside it; then `train --restart`. The victim must not change; the run either completes
 * (the file written anew beside the link and renamed over it) or fails naming the file. */
static void planted(const char *folder, const char *file, bool must_complete)
{
    char *dir = hostile_dir(folder);
    hostile_config(dir, "c.yaml", "r", NULL);
    struct run_result r;
    const char *first[] = {"train", "c.yaml", NULL};
    hostile_run(&r, dir, first, NULL, SECONDS, MEM_MIB);
    ck_assert_msg(r.exit_code == 0, "first run: exit %d: %s", r.exit_code, r.err);
    char *victim = hostile_file(dir, "victim.txt", "precious\n"), *link = NULL;
    ck_assert_int_ge(asprintf(&link, "%s/runs/r/%s", dir, file), 0);
    unlink(link);
    ck_assert_int_eq(symlink(victim, link), 0);
    char allowed_run[64];
    snprintf(allowed_run, sizeof allowed_run, "%s/runs", folder);
    const char *const allowed[] = {allowed_run, NULL};
    const char *argv[] = {"train", "c.yaml", "--restart", NULL};
    hostile_run_in(&r, dir, argv, allowed, SECONDS, MEM_MIB);
    FILE *f = fopen(victim, "rb");
    ck_assert_ptr_nonnull(f);
    char buf[64] = "";
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    ck_assert_msg(len == 9 && memcmp(buf, "precious\n", 9) == 0, "%s was written through a "
                  "link planted as %s", victim, file);
    if (must_complete)
        ck_assert_msg(r.exit_code == 0, "exit %d: %s", r.exit_code, r.err);
    else
        ck_assert_msg(r.signal == 0 && count_lines(r.err) == 1 && strstr(r.err, file),
                      "exit %d: %s", r.exit_code, r.err);
    free(link);
}

START_TEST(planted_metrics) { planted("p1", "metrics.csv", true); }
END_TEST
START_TEST(planted_summary) { planted("p2", "summary.json", true); }
END_TEST
START_TEST(planted_weights) { planted("p3", "model.safetensors", true); }
END_TEST
START_TEST(planted_config) { planted("p4", "config.yaml", true); }
END_TEST
START_TEST(planted_plot) { planted("p5", "loss.png", true); }
END_TEST
START_TEST(planted_lock) { planted("p6", ".lock", false); }
END_TEST
START_TEST(planted_checkpoint) { planted("p7", "checkpoint.bin", true); }
END_TEST

static Suite *paths_suite(void)
{
    Suite *s = suite_create("hostile paths");
    TCase *tc = tcase_create("names");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, name_up_two);
    tcase_add_test(tc, name_dotdot);
    tcase_add_test(tc, name_dot);
    tcase_add_test(tc, name_slash);
    tcase_add_test(tc, name_absolute);
    tcase_add_test(tc, name_summary);
    tcase_add_test(tc, name_eval);
    tcase_add_test(tc, name_newline);
    tcase_add_test(tc, name_from_set);
    tcase_add_test(tc, name_from_file);
    suite_add_tcase(s, tc);
    tc = tcase_create("out");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, out_dot_with_user_files);
    tcase_add_test(tc, out_regular_file);
    tcase_add_test(tc, out_fifo);
    tcase_add_test(tc, out_foreign_folder);
    tcase_add_test(tc, out_empty_folder_then_again);
    tcase_add_test(tc, run_dir_planted_link);
    tcase_add_test(tc, out_explicit_link);
    suite_add_tcase(s, tc);
    tc = tcase_create("planted links");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, planted_metrics);
    tcase_add_test(tc, planted_summary);
    tcase_add_test(tc, planted_weights);
    tcase_add_test(tc, planted_config);
    tcase_add_test(tc, planted_plot);
    tcase_add_test(tc, planted_lock);
    tcase_add_test(tc, planted_checkpoint);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    hostile_setup();
    return harness_run(paths_suite(), true);
}
