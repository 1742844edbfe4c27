# leanlearn pipeline: raw survey export + archival firm data -> results/ -> paper.
#
#   snakemake --cores all                          # everything, on the bundled (synthetic) data
#   snakemake --cores all --config survey=PATH archival=PATH sampling_frame=PATH
#   snakemake -n                                   # show what would run
#
# Every rule is a thin call of `python -m leanlearn <verb>` (see `leanlearn --help`) with the
# Python on PATH (`make run` puts the project's .venv first; with --use-conda each rule
# gets environment.yml); each
# rule's settings travel as params, so changing one config section reruns only the rules
# that use it and what depends on them. Settings other than the input paths and the seed
# are read from the config file; to change them, edit config/config.yaml or pass a
# complete copy with --configfile.

configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


CONFIGFILE = workflow.configfiles[-1] if workflow.configfiles else "config/config.yaml"
WORKERS = int(config.get("bootstrap", {}).get("workers", 1))
ROBUST = config.get("robustness", {})
POWER = config.get("power", {})
N_GRID = [int(n) for n in POWER.get("n_grid", [209])]
BLOCKS = range(int(POWER.get("blocks", 1)))


wildcard_constraints:
    n=r"\d+",
    block=r"\d+",


FIGURES = [
    "path_diagram",
    "htmt",
    "simple_slopes",
    "floodlight",
    "conditional_indirect",
    "forest",
    "bootstrap_distributions",
]


rule all:
    input:
        "results/summary.md",
        "results/paper/manuscript.html",
        "results/manifest.json",


rule ingest:
    conda:
        "environment.yml"
    input:
        survey=config["survey"],
        codebook=config["codebook"],
    output:
        data="data/processed/survey_ingested.csv",
        report="data/processed/ingest_report.json",
    params:
        config=CONFIGFILE,
        salt_file=config.get("salt_file"),
    log:
        "logs/ingest.log",
    shell:
        "python -m leanlearn ingest --survey {input.survey} --codebook {input.codebook} --config {params.config} "
        "--out data/processed > {log} 2>&1"


rule screen:
    conda:
        "environment.yml"
    input:
        data=rules.ingest.output.data,
        codebook=config["codebook"],
    output:
        flow="results/screening/flow.csv",
        exclusions="results/screening/exclusions.csv",
        flags="results/screening/flags.csv",
        flagged_kept="results/screening/flagged_kept.csv",
        clean="data/processed/survey_clean.csv",
        untreated="data/processed/survey_kept_untreated.csv",
    params:
        config=CONFIGFILE,
        screening=config.get("screening"),
        missing=config.get("missing"),
    log:
        "logs/screen.log",
    shell:
        "python -m leanlearn screen --data {input.data} --codebook {input.codebook} --config {params.config} "
        "--out results/screening --clean {output.clean} --untreated {output.untreated} > {log} 2>&1"


rule merge:
    conda:
        "environment.yml"
    input:
        survey=rules.screen.output.clean,
        archival=config["archival"],
        frame=config["sampling_frame"],
    output:
        merged="data/processed/analysis.csv",
        unmatched="results/screening/unmatched_firms.csv",
        report="results/screening/merge_report.csv",
    params:
        config=CONFIGFILE,
        merge=config.get("archival_merge"),
    log:
        "logs/merge.log",
    shell:
        "python -m leanlearn merge --survey {input.survey} --archival {input.archival} --frame {input.frame} "
        "--config {params.config} --out results/screening --merged {output.merged} > {log} 2>&1"


rule measurement:
    conda:
        "environment.yml"
    input:
        data=rules.merge.output.merged,
        model=config["model"],
    output:
        assessment="results/measurement/measurement_assessment.csv",
        reliability="results/measurement/reliability.csv",
        htmt="results/measurement/htmt_upper_bounds.csv",
        loadings="results/measurement/outer_loadings.csv",
    params:
        config=CONFIGFILE,
        measurement=config.get("measurement"),
        estimation=config.get("estimation"),
        controls=config.get("controls"),
        bootstrap=config.get("bootstrap"),
        seed=config["seed"],
    threads: WORKERS
    log:
        "logs/measurement.log",
    shell:
        "python -m leanlearn measurement {input.data} {input.model} --config {params.config} --out results/measurement "
        "--seed {params.seed} --workers {threads} > {log} 2>&1"


rule structural:
    conda:
        "environment.yml"
    input:
        data=rules.merge.output.merged,
        model=config["model"],
    output:
        paths="results/structural/paths.csv",
        r_squared="results/structural/r_squared.csv",
        scores="results/structural/scores.csv",
        moderated="results/structural/moderated_mediation.csv",
        conditional="results/structural/conditional_indirect_effects.csv",
        jn="results/structural/johnson_neyman.csv",
        settings="results/structural/settings.json",
        hypotheses="results/hypotheses/hypotheses.csv",
        draws="results/hypotheses/bootstrap_draws.csv",
        mediation="results/hypotheses/mediation.csv",
        contrasts="results/hypotheses/indirect_contrasts.csv",
        excluded="results/hypotheses/excluded_cases.csv",
    params:
        inference=config.get("inference"),
        config=CONFIGFILE,
        hypotheses=config.get("hypotheses"),
        estimation=config.get("estimation"),
        controls=config.get("controls"),
        bootstrap=config.get("bootstrap"),
        seed=config["seed"],
    threads: WORKERS
    log:
        "logs/structural.log",
    shell:
        "python -m leanlearn hypotheses {input.data} {input.model} --config {params.config} --out results/hypotheses "
        "--tables results/structural --seed {params.seed} --workers {threads} > {log} 2>&1"


rule process_check:
    conda:
        "environment.yml"
    input:
        data=rules.merge.output.merged,
        model=config["model"],
        paths=rules.structural.output.paths,
        moderated=rules.structural.output.moderated,
        conditional=rules.structural.output.conditional,
    output:
        fit="results/hypotheses/process_model7.csv",
        agreement="results/hypotheses/process_agreement.csv",
    params:
        config=CONFIGFILE,
        estimation=config.get("estimation"),
        controls=config.get("controls"),
        bootstrap=config.get("bootstrap"),
        seed=config["seed"],
    log:
        "logs/process_check.log",
    shell:
        "python -m leanlearn process {input.data} {input.model} --config {params.config} --tables results/structural "
        "--out results/hypotheses > {log} 2>&1"


rule multiverse:
    conda:
        "environment.yml"
    input:
        ingested=rules.ingest.output.data,
        flags=rules.screen.output.flags,
        archival=config["archival"],
        model=config["model"],
        codebook=config["codebook"],
    output:
        verdicts="results/robustness/multiverse.csv",
        stability="results/robustness/multiverse_stability.csv",
        paths="results/robustness/multiverse_paths.csv",
        sensitivity="results/screening/sensitivity_paths.csv",
    params:
        inference=config.get("inference"),
        config=CONFIGFILE,
        hypotheses=config.get("hypotheses"),
        estimation=config.get("estimation"),
        controls=config.get("controls"),
        missing=config.get("missing"),
        merge=config.get("archival_merge"),
        robustness=config.get("robustness"),
        seed=config["seed"],
    threads: WORKERS
    log:
        "logs/multiverse.log",
    shell:
        "python -m leanlearn multiverse --ingested {input.ingested} --flags {input.flags} --archival {input.archival} "
        "--model {input.model} --codebook {input.codebook} --config {params.config} --out results/robustness "
        "--sensitivity {output.sensitivity} --workers {threads} > {log} 2>&1"


rule predict:
    conda:
        "environment.yml"
    input:
        data=rules.merge.output.merged,
        model=config["model"],
    output:
        indicators="results/robustness/predict/predict_items.csv",
        summary="results/robustness/predict/predict_summary.csv",
        verdicts="results/robustness/predict/predict_verdicts.csv",
    params:
        config=CONFIGFILE,
        predict=ROBUST.get("predict"),
        estimation=config.get("estimation"),
        controls=config.get("controls"),
        seed=config["seed"],
    log:
        "logs/predict.log",
    shell:
        "python -m leanlearn predict {input.data} {input.model} --config {params.config} "
        "--out results/robustness/predict --seed {params.seed} > {log} 2>&1"


rule endogeneity:
    conda:
        "environment.yml"
    input:
        data=rules.merge.output.merged,
        model=config["model"],
    output:
        copula="results/robustness/endogeneity/copula.csv",
        normality="results/robustness/endogeneity/normality.csv",
    params:
        config=CONFIGFILE,
        estimation=config.get("estimation"),
        controls=config.get("controls"),
        resamples=ROBUST.get("copula_resamples", 2000),
        max_vif=ROBUST.get("copula_max_vif"),
        seed=config["seed"],
    log:
        "logs/endogeneity.log",
    shell:
        "python -m leanlearn endogeneity {input.data} {input.model} --config {params.config} "
        "--out results/robustness/endogeneity --resamples {params.resamples} --seed {params.seed} > {log} 2>&1"


rule groups:
    conda:
        "environment.yml"
    input:
        data=rules.merge.output.merged,
        model=config["model"],
    output:
        micom="results/robustness/groups/micom_summary.csv",
        mga="results/robustness/groups/mga.csv",
        sizes="results/robustness/groups/group_sizes.csv",
    params:
        config=CONFIGFILE,
        estimation=config.get("estimation"),
        controls=config.get("controls"),
        groups=ROBUST.get("groups"),
        mga_parameters=ROBUST.get("mga_parameters"),
        mga_p_adjust=ROBUST.get("mga_p_adjust"),
        permutations=ROBUST.get("micom_permutations", 5000),
        seed=config["seed"],
    log:
        "logs/groups.log",
    shell:
        "python -m leanlearn groups {input.data} {input.model} --config {params.config} "
        "--out results/robustness/groups "
        "--permutations {params.permutations} --seed {params.seed} > {log} 2>&1"


rule power_replicate:
    conda:
        "environment.yml"
    input:
        data=rules.merge.output.merged,
        model=config["model"],
    output:
        "results/robustness/power/replications/n{n}_block{block}.csv",
    params:
        config=CONFIGFILE,
        estimation=config.get("estimation"),
        controls=config.get("controls"),
        hypotheses=config.get("hypotheses"),
        power=POWER,
        seed=config["seed"],
        replications=POWER.get("replications_per_block", 500),
    log:
        "logs/power/n{n}_block{block}.log",
    shell:
        "python -m leanlearn power replicate {input.data} --model {input.model} --n {wildcards.n} "
        "--block {wildcards.block} --replications {params.replications} --seed {params.seed} "
        "--config {params.config} --out {output} > {log} 2>&1"


rule power:
    conda:
        "environment.yml"
    input:
        expand("results/robustness/power/replications/n{n}_block{block}.csv", n=N_GRID, block=BLOCKS),
    output:
        power="results/robustness/power/power.csv",
        minimum_n="results/robustness/power/minimum_n.csv",
        coincident="results/robustness/power/coincident_tests.csv",
    params:
        config=CONFIGFILE,
        target=POWER.get("target_power", 0.8),
    log:
        "logs/power/summarize.log",
    shell:
        "python -m leanlearn power summarize --out results/robustness/power --config {params.config} {input} > {log} 2>&1"


rule describe:
    conda:
        "environment.yml"
    input:
        data=rules.merge.output.merged,
        untreated=rules.screen.output.untreated,
        flags=rules.screen.output.flags,
        frame=config["sampling_frame"],
        model=config["model"],
        codebook=config["codebook"],
    output:
        item_table="results/descriptives/items.csv",
        correlations="results/descriptives/construct_correlations.csv",
        response="results/descriptives/response.csv",
    log:
        "logs/describe.log",
    shell:
        "python -m leanlearn describe --data {input.data} --untreated {input.untreated} --model {input.model} "
        "--codebook {input.codebook} --flags {input.flags} --frame {input.frame} --out results/descriptives > {log} 2>&1"


rule bias:
    conda:
        "environment.yml"
    input:
        data=rules.merge.output.merged,
        model=config["model"],
        codebook=config["codebook"],
        frame=config["sampling_frame"],
    output:
        early_late="results/bias/nonresponse_early_late.csv",
        frame="results/bias/nonresponse_frame.csv",
        vif="results/bias/full_collinearity_vif.csv",
        marker="results/bias/marker_correction.csv",
        harman="results/bias/harman.csv",
        informants="results/bias/key_informants.csv",
        remedies="results/bias/procedural_remedies.csv",
        marker_correlations="results/bias/marker_correlations.csv",
        marker_paths="results/bias/marker_paths.csv",
        method_factor="results/bias/method_factor.csv",
        method_factor_loadings="results/bias/method_factor_loadings.csv",
        triangulation="results/bias/archival_triangulation.csv",
    params:
        config=CONFIGFILE,
        bias=config.get("bias"),
        estimation=config.get("estimation"),
        seed=config["seed"],
    log:
        "logs/bias.log",
    shell:
        "python -m leanlearn bias --data {input.data} --model {input.model} --config {params.config} "
        "--codebook {input.codebook} --frame {input.frame} --out results/bias > {log} 2>&1"


rule cfa:
    conda:
        "environment.yml"
    input:
        data=rules.merge.output.merged,
        model=config["model"],
    output:
        loadings="results/measurement/cfa_loadings.csv",
        fit="results/measurement/cfa_fit.csv",
    params:
        config=CONFIGFILE,
        thresholds=ROBUST.get("cfa"),
    log:
        "logs/cfa.log",
    shell:
        "python -m leanlearn cfa --data {input.data} --model {input.model} --config {params.config} "
        "--out results/measurement > {log} 2>&1"


rule cbsem:
    conda:
        "environment.yml"
    input:
        data=rules.merge.output.merged,
        model=config["model"],
    output:
        paths="results/robustness/cbsem/cbsem_paths.csv",
        fit="results/robustness/cbsem/cbsem_fit.csv",
        compare="results/robustness/cbsem/pls_plsc_cbsem_paths.csv",
    params:
        config=CONFIGFILE,
        controls=config.get("controls"),
        estimation=config.get("estimation"),
        thresholds=ROBUST.get("cfa"),
    log:
        "logs/cbsem.log",
    shell:
        "python -m leanlearn cbsem --data {input.data} --model {input.model} --config {params.config} "
        "--out results/robustness/cbsem > {log} 2>&1"


rule summary:
    conda:
        "environment.yml"
    input:
        rules.screen.output.flow,
        rules.merge.output.report,
        rules.measurement.output.assessment,
        rules.structural.output.hypotheses,
        rules.structural.output.settings,
        rules.process_check.output.agreement,
        rules.multiverse.output.stability,
        rules.multiverse.output.sensitivity,
        rules.predict.output.summary,
        rules.endogeneity.output.copula,
        rules.groups.output.micom,
        rules.power.output.power,
        rules.describe.output.item_table,
        rules.bias.output.vif,
        rules.cfa.output.fit,
        rules.cbsem.output.compare,
    output:
        report("results/summary.md", caption="workflow/report/summary.rst", category="Summary"),
    params:
        config=CONFIGFILE,
    log:
        "logs/summary.log",
    shell:
        "python -m leanlearn summary --results results --config {params.config} --out {output} > {log} 2>&1"


rule report:
    conda:
        "environment.yml"
    input:
        rules.summary.input,
        rules.structural.output.draws,
    output:
        tables=directory("results/tables"),
        figures=expand("results/figures/{figure}.{ext}", figure=FIGURES, ext=["svg", "pdf"]),
        png=[
            report(
                f"results/figures/{figure}.png",
                caption=f"workflow/report/{figure}.rst",
                category="Figures",
            )
            for figure in FIGURES
        ],
    params:
        config=CONFIGFILE,
        measurement=config.get("measurement"),
    log:
        "logs/report.log",
    shell:
        "python -m leanlearn report --results results --config {params.config} --out {output.tables} "
        "--figures results/figures > {log} 2>&1"


rule paper:
    conda:
        "environment.yml"
    input:
        rules.report.output,
        source="paper/manuscript.md",
    output:
        html=report(
            "results/paper/manuscript.html",
            caption="workflow/report/manuscript.rst",
            category="Manuscript",
        ),
        markdown="results/paper/manuscript.md",
        numbers="results/paper/numbers.json",
        macros="results/paper/numbers.tex",
    params:
        config=CONFIGFILE,
    log:
        "logs/paper.log",
    shell:
        "python -m leanlearn paper --results results --config {params.config} --source {input.source} "
        "--out results/paper --figures results/figures > {log} 2>&1"


rule manifest:
    conda:
        "environment.yml"
    input:
        rules.paper.output,
        summary=rules.summary.output,
    output:
        "results/manifest.json",
    params:
        config=CONFIGFILE,
    log:
        "logs/manifest.log",
    shell:
        "python -m leanlearn manifest --results results --config {params.config} --out {output} > {log} 2>&1"
