#!/bin/bash
# Device call for #12 (NEU, robustness to a different exposure): split 1..140 train / 141..170 val /
# 171..200 test; a brightness/contrast-shifted copy of the VALIDATION split takes part in model
# selection (--extra-val), the shifted copy of the test split is only reported (--extra-test).
# Candidates side by side on the one GPU: the bundled recipe (r1-plain) and the `exposure`
# photometric preset (clip + 8-bit re-quantisation) at two seeds and with 4 ROIs per part.
# Run from the repository root with .carry/source2 carried (trainer copy + NEU jpgs + schema).
set -u
C=$PWD/.carry/source2
export PYTHONUNBUFFERED=1 PYTHONPATH=$C/trainer PARTPRINT_CARD_SCHEMA=$C/schemas/model-card.schema.json
W=/tmp/wn; mkdir -p $W/res; T0=$(date +%s)
el() { echo "[$(( $(date +%s) - T0 )) s] $*" | tee -a $W/res/timeline.txt; }
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > $W/res/gpu.txt; nproc >> $W/res/gpu.txt
python3 -c "import torch;print(torch.__version__)" >> $W/res/gpu.txt
python3 -m partprint_trainer.prepare_folder --src $C/neu-det --out /tmp/neu --train 140 --val 30 --test 30 > $W/res/prepare.txt 2>&1
python3 -m partprint_trainer.shift_dataset --src /tmp/neu --out /tmp/neu-shifted > $W/res/shift.txt 2>&1
python3 -m partprint_trainer.shift_dataset --src /tmp/neu --out /tmp/neu-shifted-val --split val > $W/res/shift-val.txt 2>&1
el data ready
common="--dataset /tmp/neu --arch mobilenet_v3_small --roi-side 160 --input-size 224 --batch-size 32 --val-every 2 --val-rois 16 --workers 3 --norm per-roi --extra-val /tmp/neu-shifted-val --extra-test /tmp/neu-shifted --max-seconds ${NEU_SECONDS:-250}"
run() { n=$1; shift; python3 -m partprint_trainer.train --out /tmp/$n --name $n "$@" > $W/res/$n.txt 2>&1; el "$n done rc=$?"; }
run neu-r1-plain-s1 $common --rois-per-part 1 --epochs 300 --lr-decay 0.99 &
run neu-r1-exposure-s1 $common --rois-per-part 1 --photometric exposure --epochs 300 --lr-decay 0.99 &
run neu-r1-exposure-s2 $common --rois-per-part 1 --photometric exposure --epochs 300 --lr-decay 0.99 --seed 2 &
run neu-r4-exposure-s1 $common --rois-per-part 4 --photometric exposure --epochs 100 --lr-decay 0.97 &
wait
el all done
for d in /tmp/neu-r*/; do n=$(basename $d); [ -f $d/model.json ] || continue; mkdir -p $W/res/$n; cp $d/model.json $d/log.jsonl $W/res/$n/; done
cp /tmp/neu-shifted/dataset.json $W/res/neu-shifted-dataset.json
tar -C $W -cJf $OUT/res.tar.xz res
for d in /tmp/neu-r*/; do n=$(basename $d); cp $d/model.onnx $OUT/$n.onnx 2>/dev/null; done
python3 - <<'PY'
import json, glob, os
for f in sorted(glob.glob('/tmp/wn/res/*/model.json')):
    c = json.load(open(f)); m = c['metrics']; s = m['selection']; x = m.get('extraTests', {}).get('neu-shifted', {})
    print(os.path.basename(os.path.dirname(f)), 'sel', round(s.get('acc'), 4), round(s.get('loss'), 4), 'ep', s.get('epoch'), 'val', s.get('valAcc'), 'xval', s.get('extraValScores'),
          'test', round(m['test']['accuracy'], 4), 'shifted', x.get('accuracy'), 'epochs', c['training'].get('epochsRun'))
PY
