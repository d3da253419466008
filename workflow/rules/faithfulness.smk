# How faithful is each map? Deletion/insertion areas of every sample, method, layer and node.


rule faithfulness:
    input:
        expand("results/influence/{sample}.h5", sample=SAMPLES),
    output:
        table="results/faithfulness.csv",
        summary=report(
            "results/faithfulness_summary.csv",
            caption="../report/faithfulness_summary.rst",
            category="Faithfulness",
        ),
        summary_table=report(
            "results/faithfulness_summary.html",
            caption="../report/faithfulness_summary.rst",
            category="Faithfulness",
        ),
        figure=report(
            "results/faithfulness.png",
            caption="../report/faithfulness.rst",
            category="Faithfulness",
        ),
        svg=report(
            "results/faithfulness.svg",
            caption="../report/faithfulness.rst",
            category="Faithfulness",
        ),
    log:
        "logs/faithfulness/faithfulness.log",
    benchmark:
        "results/benchmarks/faithfulness/faithfulness.tsv"
    conda:
        ENV
    resources:
        mem_mb=faithfulness_mem_mb,
        runtime=faithfulness_runtime,
    params:
        expected=every_influence_expected,
    script:
        "../scripts/faithfulness.py"
