/* test_sweep_spec.c - sweep specs (host/cli/sweep_spec.h): grid expansion (order, directory
 * names, the --set list each run gets, resolved config paths) and, for every kind of bad spec,
 * an error that names the file, the field, what was expected and what was found. */
#include <math.h>
#include <string.h>

#include "host/cli/sweep_spec.h"
#include "test_util.h"

static const char *good =
    "{\"name\": \"t\",\n"
    " \"runs\": [{\"name\": \"rise\", \"config\": \"c/rise.json\",\n"
    "            \"set\": {\"policy.spectral_lambda\": 0.1}},\n"
    "          {\"name\": \"idql\", \"config\": \"/abs/idql.json\"}],\n"
    " \"set\": {\"train.steps\": 100, \"critic.lr\": 1e-4},\n"
    " \"grid\": {\"critic.lr\": [1e-4, 3e-4], \"extract.rule\": [\"argmax\", \"expectile\"]},\n"
    " \"labels\": {\"critic.lr\": \"lr\"},\n"
    " \"seeds\": 2,\n"
    " \"evals\": [{\"args\": [\"--grid\", 4, \"--trials\", \"1\"]},\n"
    "           {\"name\": \"soft\", \"args\": [\"--extract-rule\", \"expectile\"]}],\n"
    " \"metrics\": [{\"name\": \"coverage\", \"file\": \"eval/coverage.json\", \"key\": "
    "\"coverage\"},\n"
    "             {\"name\": \"loss\", \"file\": \"metrics.csv\", \"column\": \"loss_q\", "
    "\"reduce\": \"min\"}],\n"
    " \"table\": {\"row\": \"method\", \"columns\": [{\"title\": \"n\", \"show\": \"n\"},\n"
    "   {\"title\": \"cov / loss\", \"metric\": [\"coverage\", \"loss\"], \"show\": \"mean\", "
    "\"digits\": 2}]},\n"
    " \"plots\": [{\"metric\": \"coverage\", \"x\": \"lr\", \"log_x\": true}],\n"
    " \"slurm\": {\"sbatch\": [\"--time=01:00:00\"], \"max_parallel\": 4}}\n";

static void test_expansion(void) {
    sweep_spec s;
    const rise_status st = sweep_spec_parse(&s, good, "good.json", "/cfgdir");
    TEST_CHECK(st == RISE_OK, "good spec: %s", rise_last_error());
    if (st != RISE_OK) return;
    TEST_CHECK(s.n_points == 8 && s.n_runs == 16 && s.n_seeds == 2,
               "2 runs x 2 x 2 grid = %d "
               "points, x 2 seeds = %d runs",
               s.n_points, s.n_runs);
    /* the last grid key varies fastest, then the next; runs in spec order; seeds innermost */
    static const char *const dirs[8] = {
        "rise/lr=0.0001,extract.rule=argmax", "rise/lr=0.0001,extract.rule=expectile",
        "rise/lr=0.0003,extract.rule=argmax", "rise/lr=0.0003,extract.rule=expectile",
        "idql/lr=0.0001,extract.rule=argmax", "idql/lr=0.0001,extract.rule=expectile",
        "idql/lr=0.0003,extract.rule=argmax", "idql/lr=0.0003,extract.rule=expectile"};
    for (int p = 0; p < 8; ++p)
        TEST_CHECK(!strcmp(s.points[p].dir, dirs[p]), "point %d dir %s, want %s", p,
                   s.points[p].dir, dirs[p]);
    TEST_CHECK(!strcmp(s.runs[0].dir, "rise/lr=0.0001,extract.rule=argmax/s0") &&
                   !strcmp(s.runs[15].dir, "idql/lr=0.0003,extract.rule=expectile/s1") &&
                   s.runs[3].point == 1 && s.runs[3].seed == 1,
               "run order and names: %s .. %s", s.runs[0].dir, s.runs[15].dir);
    /* the spec's set, then the run's, then the grid's (replacing a key in place) */
    static const char *const sets[4] = {"train.steps=100", "critic.lr=0.0003",
                                        "policy.spectral_lambda=0.1", "extract.rule=expectile"};
    const sweep_point *p3 = &s.points[3];
    TEST_CHECK(p3->n_sets == 4, "point 3 has %d sets", p3->n_sets);
    for (int k = 0; k < 4 && k < p3->n_sets; ++k)
        TEST_CHECK(!strcmp(p3->sets[k], sets[k]), "set %d: %s, want %s", k, p3->sets[k], sets[k]);
    TEST_CHECK(s.points[4].n_sets == 3, "idql has no spectral set");
    TEST_CHECK(!strcmp(s.points[0].config_path, "/cfgdir/c/rise.json") &&
                   !strcmp(s.points[4].config_path, "/abs/idql.json"),
               "config paths resolve against the spec's folder: %s, %s", s.points[0].config_path,
               s.points[4].config_path);
    TEST_CHECK(s.axes[0].numeric[1] == 3e-4 && isnan(s.axes[1].numeric[0]), "numeric grid values");
    TEST_CHECK(s.n_evals == 2 && !strcmp(s.evals[0].name, "eval") && s.evals[0].n_args == 4 &&
                   !strcmp(s.evals[0].args[1], "4") && !strcmp(s.evals[1].name, "soft"),
               "evals: default name, numbers as text");
    TEST_CHECK(s.n_metrics == 2 && s.metrics[1].kind == SWEEP_METRIC_CSV &&
                   s.metrics[1].reduce == SWEEP_REDUCE_MIN,
               "metrics");
    TEST_CHECK(s.has_table && s.table.n_columns == 2 && s.table.columns[1].n_metrics == 2 &&
                   s.table.columns[1].metric[1] == 1 && s.table.columns[1].digits == 2,
               "table");
    TEST_CHECK(s.n_plots == 1 && s.plots[0].axis == 0 && s.plots[0].log_x &&
                   !strcmp(s.plots[0].file, "coverage_vs_lr.png"),
               "plot: %s", s.n_plots ? s.plots[0].file : "none");
    TEST_CHECK(s.n_sbatch == 1 && s.slurm_max_parallel == 4, "slurm");
    sweep_spec_free(&s);

    /* "configs", a count of seeds -> a list, a value that cannot name a directory, no evals */
    const char *configs = "{\"configs\": {\"bc\": \"bc.json\", \"rise\": \"rise.json\"},"
                          " \"seeds\": [3, 1], \"grid\": {\"data.sources\": "
                          "[\"expert:a/b.h5,non_expert:c d.h5\"], \"train.flag\": [true]},"
                          " \"evals\": []}";
    TEST_CHECK(sweep_spec_parse(&s, configs, "c.json", "/x") == RISE_OK, "configs spec: %s",
               rise_last_error());
    if (s.n_runs == 4) {
        TEST_CHECK(!strcmp(s.runs[0].dir,
                           "bc/data.sources=expert_a_b.h5_non_expert_c_d.h5,train.flag=true/s3"),
                   "sanitised directory: %s", s.runs[0].dir);
        TEST_CHECK(s.runs[1].seed == 1 && !strcmp(s.points[1].name, "rise") && s.n_evals == 0 &&
                       !strcmp(s.points[0].sets[0], "data.sources=expert:a/b.h5,non_expert:c d.h5"),
                   "configs expansion");
    }
    sweep_spec_free(&s);
    TEST_CHECK(sweep_spec_parse(&s, "{\"config\": \"dir/maze_idql.json\", \"seeds\": 1}", "o.json",
                                "/y") == RISE_OK &&
                   s.n_runs == 1 && !strcmp(s.runs[0].dir, "maze_idql/s0") && s.n_evals == 1,
               "one config: named after its file, one default eval");
    sweep_spec_free(&s);
}

typedef struct {
    const char *text;
    const char *want[3]; /* substrings of the message besides the file name */
} bad_case;

static void test_errors(void) {
    static const bad_case cases[] = {
        {"{\"seeds\": [0,}", {"bad.json:1:", "malformed JSON", NULL}},
        {"[1, 2]", {"the top level", "expected a JSON object", "found a list of 2"}},
        {"{\"config\": \"a.json\", \"seed\": [0]}",
         {"unknown field 'seed'", "did you mean 'seeds'", NULL}},
        {"{\"config\": \"a.json\"}", {"seeds: missing", NULL, NULL}},
        {"{\"config\": \"a.json\", \"seeds\": \"abc\"}",
         {"seeds: expected", "list of seeds", "found the string \"abc\""}},
        {"{\"config\": \"a.json\", \"seeds\": [0, 1.5]}",
         {"seeds[1]", "expected a whole number", "found the number 1.5"}},
        {"{\"config\": \"a.json\", \"seeds\": [0, 0]}", {"seeds[1]", "listed twice", NULL}},
        {"{\"config\": \"a.json\", \"seeds\": 1, \"grid\": {\"critic.lr\": 0.1}}",
         {"grid.critic.lr", "expected a non-empty list of values", "found the number 0.1"}},
        {"{\"config\": \"a.json\", \"seeds\": 1, \"grid\": {\"lr\": [1]}}",
         {"grid", "expected a config key group.name", "found \"lr\""}},
        {"{\"config\": \"a.json\", \"seeds\": 1, \"grid\": {\"a.b\": [{\"x\": 1}]}}",
         {"grid.a.b[0]", "expected a number, string, boolean or list", "found an object"}},
        {"{\"seeds\": 1}", {"no runs", "expected \"config\"", NULL}},
        {"{\"configs\": {\"a\": \"a.json\"}, \"runs\": [{\"name\": \"b\"}], \"seeds\": 1}",
         {"configs: given together with \"runs\"", NULL, NULL}},
        {"{\"config\": \"a.json\", \"runs\": [{\"set\": {}}], \"seeds\": 1}",
         {"runs[0].name", "expected a non-empty string", "found nothing"}},
        {"{\"config\": \"a.json\", \"runs\": [{\"name\": \"a/b\"}], \"seeds\": 1}",
         {"runs[0].name", "expected a name made of letters", "found \"a/b\""}},
        {"{\"runs\": [{\"name\": \"a\"}], \"seeds\": 1}", {"runs[0]", "no config", NULL}},
        {"{\"config\": \"a.json\", \"runs\": [{\"name\": \"a\", \"set\": {\"critic.lr\": 1}}], "
         "\"grid\": {\"critic.lr\": [2]}, \"seeds\": 1}",
         {"runs (\"a\")", "critic.lr", "which the grid also sweeps"}},
        {"{\"config\": \"a.json\", \"set\": {\"train.seed\": 3}, \"seeds\": 1}",
         {"set", "seed key train.seed", "seeds come from"}},
        {"{\"config\": \"a.json\", \"set\": {\"train.seeds\": [0, 1]}, \"seeds\": 2}",
         {"bad.json: set", "sets train.seeds", "seeds come from the spec's \"seeds\""}},
        {"{\"config\": \"a.json\", \"seeds\": 1, \"grid\": {\"train.seeds\": [[0], [1]]}}",
         {"bad.json: grid", "sets train.seeds", "remove the key"}},
        {"{\"config\": \"a.json\", \"runs\": [{\"name\": \"a\", \"set\": {\"train.seeds\": "
         "[3]}}], \"seeds\": 1}",
         {"runs[0].set", "sets train.seeds", "packs them into train.seeds"}},
        {"{\"config\": \"a.json\", \"seeds\": 1, \"grid\": {\"a.b\": [\"x/y\", \"x_y\"]}}",
         {"share the directory", "a/a.b=x_y", NULL}},
        {"{\"config\": \"a.json\", \"seeds\": 1, \"metrics\": [{\"name\": \"m\", \"file\": "
         "\"f.json\", \"key\": \"k\", \"column\": \"c\"}]}",
         {"metrics[0]", "either \"key\"", "found both"}},
        {"{\"config\": \"a.json\", \"seeds\": 1, \"metrics\": [{\"name\": \"m\", \"file\": "
         "\"../f.json\", \"key\": \"k\"}]}",
         {"metrics[0].file", "inside the run directory", "found \"../f.json\""}},
        {"{\"config\": \"a.json\", \"seeds\": 1, \"metrics\": [{\"name\": \"coverage\", "
         "\"file\": \"f.json\", \"key\": \"k\"}], \"table\": {\"columns\": [{\"title\": \"c\", "
         "\"metric\": \"cov\"}]}}",
         {"table.columns[0].metric", "expected one of the metrics (coverage)", "found \"cov\""}},
        {"{\"config\": \"a.json\", \"seeds\": 1, \"metrics\": [{\"name\": \"m\", \"file\": "
         "\"f.json\", \"key\": \"k\"}], \"table\": {\"columns\": [{\"title\": \"c\", "
         "\"metric\": \"m\", \"show\": \"median\"}]}}",
         {"table.columns[0].show", "\"mean_sd\"", "found the string \"median\""}},
        {"{\"config\": \"a.json\", \"seeds\": 1, \"grid\": {\"a.b\": [1]}, \"metrics\": "
         "[{\"name\": \"m\", \"file\": \"f.json\", \"key\": \"k\"}], \"plots\": [{\"metric\": "
         "\"m\", \"x\": \"a.c\"}]}",
         {"plots[0].x", "expected a grid key or \"name\"", "found \"a.c\""}},
        {"{\"config\": \"a.json\", \"seeds\": 1, \"grid\": {\"a.b\": [\"x\"]}, \"metrics\": "
         "[{\"name\": \"m\", \"file\": \"f.json\", \"key\": \"k\"}], \"plots\": [{\"metric\": "
         "\"m\", \"x\": \"a.b\", \"log_x\": true}]}",
         {"plots[0].log_x", "a log axis needs numbers > 0", "value x"}},
        {"{\"config\": \"a.json\", \"seeds\": 1, \"evals\": [{\"args\": [\"--out\", \"x\"]}]}",
         {"evals[0].args", "--out is not allowed", NULL}},
        {"{\"config\": \"a.json\", \"seeds\": 1, \"evals\": [{}, {\"name\": \"eval\"}]}",
         {"evals[1].name", "used by evals[0]", NULL}},
        {"{\"config\": \"a.json\", \"seeds\": 1, \"prepare\": [{\"creates\": \"x.h5\"}]}",
         {"prepare[0].rise", "expected a list of arguments", "found nothing"}},
        {"{\"config\": \"a.json\", \"seeds\": 1, \"slurm\": {\"sbatch\": [\"time=1\"]}}",
         {"slurm.sbatch[0]", "expected an sbatch option", "found \"time=1\""}},
    };
    const int n = (int)(sizeof cases / sizeof cases[0]);
    for (int i = 0; i < n; ++i) {
        sweep_spec s;
        const rise_status st = sweep_spec_parse(&s, cases[i].text, "bad.json", "/d");
        const char *msg = rise_last_error();
        int ok = st != RISE_OK && strstr(msg, "bad.json") != NULL;
        for (int k = 0; k < 3 && cases[i].want[k]; ++k) ok &= strstr(msg, cases[i].want[k]) != NULL;
        TEST_CHECK(ok, "case %d (%s): status %d, message \"%s\"", i, cases[i].text, (int)st, msg);
        if (st == RISE_OK) sweep_spec_free(&s);
    }
    sweep_spec s;
    TEST_CHECK(sweep_spec_load(&s, "/nonexistent/sweep.json") == RISE_ERR_IO &&
                   strstr(rise_last_error(), "/nonexistent/sweep.json: cannot open"),
               "missing file: %s", rise_last_error());
}

int main(void) {
    test_expansion();
    test_errors();
    return test_finish();
}
