"""Paired comparison, 5 seeds, quick profile: clip_mean=1 (seeds 0-2 and 3-4 of this folder) against
the same seeds, data and initial weights of the 5-seed Table 1 with the paper's input (clip_mean=0).
Usage, from the repository root: .venv/bin/python docs/results/clipmean-quick/compare.py"""
import json, numpy as np, scipy.stats as st
def rows(p): return {r['row']: r['runs'] for r in json.load(open(p))['rows']}
cm = rows('docs/results/clipmean-quick/seeds-0-2/table1.json'); cm2 = rows('docs/results/clipmean-quick/seeds-3-4/table1.json')
base = rows('docs/results/table1-quick-paper-input/table1.json')
bgs = ['birdsong','crowd','rain','street','wind']
def summ(runs, tag):
    acc = np.array([r['accuracy'] for r in runs])*100
    ra = np.array([r['real']['accuracy'] for r in runs])*100
    au = np.array([r['real']['auc'] for r in runs])
    fa = np.array([r['real']['false_alarms'] for r in runs])*100
    de = np.array([r['real']['detected'] for r in runs])*100
    ci = lambda x: st.t.ppf(.975, len(x)-1)*x.std(ddof=1)/np.sqrt(len(x))
    print(f"{tag}: syn {acc.mean():.1f} ±{ci(acc):.1f} ({' / '.join(f'{v:.1f}' for v in acc)}) | real {ra.mean():.1f} ±{ci(ra):.1f} ({' / '.join(f'{v:.1f}' for v in ra)}) | AUC {au.mean():.3f} ({' / '.join(f'{v:.3f}' for v in au)}) | FA {fa.mean():.1f} det {de.mean():.1f} | " + ' '.join(f"{b} {100*np.mean([r['real']['false_alarms:'+b] for r in runs]):.1f}" for b in bgs) + " | EBR " + ' '.join(f"{100*np.mean([r['real']['ebr_'+e] for r in runs]):.1f}" for e in ['-6','0','6']))
    return acc, ra, au
for row in ['scratch_limited','parallel_low']:
    c = cm[row] + cm2[row]; b = base[row]
    ca, cr, cu = summ(c, row+' clip_mean'); ba, br, bu = summ(b, row+' baseline ')
    print('  paired diff syn', np.round(ca-ba,1), 'real', np.round(cr-br,1), 'auc', np.round(cu-bu,3))
    for name, on, off in [('syn', ca, ba), ('real', cr, br), ('auc', cu, bu)]:
        print('   ', name, 'mean diff %.3f' % (on - off).mean(), 'paired t p=%.3f' % st.ttest_rel(on, off).pvalue)
