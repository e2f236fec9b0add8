// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cmd_map.c - `genpool map LOG [--at EVENT|--peak] -o FILE.png|FILE.svg`:
 * a picture of the pool at one moment of the log, drawn with cairo.
 *
 * A pool event log is drawn with the addresses it recorded (what the pool
 * really did); a malloc trace is first replayed into a genpool pool
 * (--algo, --order, as `genpool replay`) and that pool is drawn. Granules
 * are laid out chunk after chunk, left to right and top to bottom, as
 * square cells (one granule each, or k granules each when the pool has
 * more granules than fit); a cell's colour is the size class or the age of
 * the allocation holding it, paler the less of the cell is held. A dark bar
 * marks where a chunk starts. The file is written under a temporary name
 * and renamed, so a failure leaves nothing behind.
 *
 * Single-threaded.
 */
#include <cairo.h>
#include <cairo-svg.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "replay_pool.h"
#include "shadow.h"

static const char usage_map[] =
	"Usage: genpool map [OPTIONS] LOG -o FILE.png|FILE.svg\n"
	"Draw the pool's occupancy at one moment of the log: granule ranges as cells\n"
	"coloured by allocation size (or age), chunk boundaries marked, with a legend\n"
	"and a title saying which moment it shows. A pool event log is drawn at the\n"
	"addresses it recorded; a malloc trace is replayed into a pool first.\n"
	"  -o, --output FILE  .png or .svg (required)\n"
	"  --peak             at the log's peak of live bytes (default)\n"
	"  --at EVENT         right after event EVENT (0-based, as genpool info counts)\n"
	"  --color size|age   colour by size class (default) or by age\n"
	"  --width W          image width in pixels (default 1024)\n"
	"  --height H         image height in pixels (default 768)\n"
	"  --algo A, --order N, --cache   the replay's pool, for malloc traces\n"
	"  --help             this text\n";

#define TITLE_H 52
#define LEGEND_H 44
#define MARGIN 10
#define NCLASS 8

struct map_opts {
	const char *out;
	long at;		/* -1: the peak */
	bool age;
	long width, height;
	struct replay_pool_cfg cfg;
};

/* The state drawn: each live slot's address, in granule space of @s. */
struct moment {
	struct shadow s;
	uintptr_t *addr;	/* per slot, 0 = not live */
	uint64_t when_ns;	/* the moment's time, for ages */
	uint32_t event;
	uint64_t used_granules, total_granules;
};

static int parse_opts(int argc, char **argv, struct map_opts *o)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' }, { "at", required_argument, NULL, 'e' },
		{ "peak", no_argument, NULL, 'p' }, { "color", required_argument, NULL, 'c' },
		{ "width", required_argument, NULL, 'W' }, { "height", required_argument, NULL, 'H' },
		{ "algo", required_argument, NULL, 'a' }, { "order", required_argument, NULL, 'r' },
		{ "cache", no_argument, NULL, 'C' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long v;
	int c;

	*o = (struct map_opts){ .at = -1, .width = 1024, .height = 768,
				.cfg = { .order = -1, .slack_pct = 100 } };
	while ((c = tool_getopt("map", argc, argv, "o:e:pc:W:H:a:r:Ch", opts)) != -1) {
		switch (c) {
		case 'h': fputs(usage_map, stdout); return 0;
		case 'o': o->out = optarg; break;
		case 'p': o->at = -1; break;
		case 'C': o->cfg.cache = true; break;
		case 'e':
			if (parse_num("map", "--at", optarg, 0, UINT32_MAX, &o->at))
				return EXIT_BADINPUT;
			break;
		case 'c':
			if (strcmp(optarg, "size") && strcmp(optarg, "age"))
				return bad_input("map", "--color is size or age, not '%s'", optarg);
			o->age = !strcmp(optarg, "age");
			break;
		case 'W':
		case 'H':
			if (parse_num("map", c == 'W' ? "--width" : "--height", optarg, 200, 16384, &v))
				return EXIT_BADINPUT;
			*(c == 'W' ? &o->width : &o->height) = v;
			break;
		case 'a':
			if (replay_parse_algo(optarg, &o->cfg))
				return bad_input("map", "unknown algorithm '%s' (first, best, "
						 "scalable, align:BYTES)", optarg);
			break;
		case 'r':
			if (parse_num("map", "--order", optarg, 0, 30, &v))
				return EXIT_BADINPUT;
			o->cfg.order = (int)v;
			break;
		default:
			return EXIT_BADINPUT;
		}
	}
	if (!o->out)
		return bad_input("map", "-o FILE.png or FILE.svg is required (see genpool map --help)");
	if (optind != argc - 1)
		return bad_input("map", "wants exactly one LOG (see genpool map --help)");
	return -1;
}

static bool has_ext(const char *path, const char *ext)
{
	size_t n = strlen(path), e = strlen(ext);

	return n > e && !strcmp(path + n - e, ext);
}

/* Apply the op to the moment: pool logs at their addresses, malloc traces via @rp. */
static void apply(struct moment *m, const struct replay_prog *p, struct replay_pool *rp,
		  const struct replay_op *o)
{
	uint64_t g = replay_granules(o->size, m->s.order);
	uintptr_t a;

	switch (o->kind) {
	case RO_CHUNK:
		shadow_add(&m->s, o->addr, o->size);
		break;
	case RO_ALLOC:
		a = p->pool_source ? o->addr :
			replay_pool_alloc(rp, o->size, o->align_log2 ? 1ul << o->align_log2 : 0);
		if (a && shadow_take(&m->s, a, g) >= 0)
			m->addr[o->slot] = a;
		break;
	case RO_FREE:
		a = m->addr[o->slot];
		if (!a)
			break;
		shadow_give(&m->s, a, g);
		if (!p->pool_source)
			replay_pool_free(rp, a, o->size);
		m->addr[o->slot] = 0;
		break;
	case RO_ALLOC_TRY:
		break;	/* failed in the log; changes nothing */
	}
}

static int build_moment(const struct gp_trace *t, const struct replay_prog *p,
			const struct map_opts *o, struct moment *m, char *err, size_t errlen)
{
	struct replay_pool rp = { 0 };
	size_t end = o->at < 0 ? p->peak_op : p->nops;
	uint64_t free_g, longest;

	*m = (struct moment){ 0 };
	if (o->at >= 0 && (size_t)o->at >= t->n) {
		snprintf(err, errlen, "--at %ld is past the last event (%zu)", o->at,
			 t->n ? t->n - 1 : 0);
		return -1;
	}
	m->event = o->at >= 0 ? (uint32_t)o->at : (p->peak_op ? p->op[p->peak_op - 1].event : 0);
	m->when_ns = t->n ? t->rec[m->event].time_ns : 0;
	if (!p->pool_source && replay_pool_create(&rp, p, &o->cfg, false, err, errlen))
		return -1;
	shadow_init(&m->s, p->pool_source ? p->order : rp.order);
	m->addr = calloc(p->nslots ? p->nslots : 1, sizeof(*m->addr));
	if (!m->addr || (!p->pool_source && shadow_add(&m->s, REPLAY_POOL_BASE, rp.bytes))) {
		snprintf(err, errlen, "no memory for the map");
		return -1;
	}
	for (size_t i = 0; i < end && (o->at < 0 || p->op[i].event <= (uint64_t)o->at); i++)
		apply(m, p, &rp, &p->op[i]);
	for (size_t i = 0; i < m->s.nchunks; i++)
		m->total_granules += m->s.chunk[i].granules;
	shadow_free_runs(&m->s, &free_g, &longest);
	m->used_granules = m->total_granules - free_g;
	if (rp.pool) {	/* the picture is in the shadow now; give the pool back */
		for (uint32_t s = 0; s < p->nslots; s++)
			if (m->addr[s])
				replay_pool_free(&rp, m->addr[s], p->slot_size[s]);
		replay_pool_destroy(&rp);
	}
	return 0;
}

/* ---- drawing ------------------------------------------------------------ */

static const double class_rgb[NCLASS][3] = {
	{ 0.99, 0.80, 0.20 }, { 0.98, 0.55, 0.24 }, { 0.90, 0.30, 0.30 }, { 0.75, 0.25, 0.55 },
	{ 0.50, 0.30, 0.70 }, { 0.25, 0.45, 0.80 }, { 0.15, 0.65, 0.65 }, { 0.20, 0.55, 0.25 },
};
static const char *const class_name[NCLASS] = {
	"<=16 B", "<=64 B", "<=256 B", "<=1 KiB", "<=4 KiB", "<=16 KiB", "<=64 KiB", ">64 KiB",
};
static const double free_rgb[3] = { 0.93, 0.93, 0.93 };

static int size_class(uint64_t size)
{
	int c = 0;

	for (uint64_t lim = 16; c < NCLASS - 1 && size > lim; lim <<= 2)
		c++;
	return c;
}

struct layout {
	double x0, y0, cell;
	uint64_t cols, rows, per_cell;	/* granules per cell */
};

static void plan(struct layout *l, const struct map_opts *o, uint64_t granules)
{
	double gw = (double)o->width - 2 * MARGIN, gh = (double)o->height - TITLE_H - LEGEND_H;
	double cell = sqrt(gw * gh / (double)(granules ? granules : 1));

	/* the largest cell (2 to 32 px) at which every granule gets its own */
	cell = cell > 32 ? 32 : cell < 2 ? 2 : cell;
	for (;;) {
		l->cols = (uint64_t)(gw / cell);
		l->rows = (uint64_t)(gh / cell);
		if (l->cols * l->rows >= granules || cell <= 2)
			break;
		cell = cell * 0.98 < 2 ? 2 : cell * 0.98;
	}
	l->cell = cell;
	l->per_cell = (granules + l->cols * l->rows - 1) / (l->cols * l->rows);
	if (!l->per_cell)
		l->per_cell = 1;
	l->x0 = MARGIN;
	l->y0 = TITLE_H;
}

/* Colour of the allocation in slot @s for the chosen scheme. */
static void slot_rgb(const struct gp_trace *t, const struct replay_prog *p, const struct moment *m,
		     const struct map_opts *o, uint32_t s, uint64_t max_age, double rgb[3])
{
	if (!o->age) {
		memcpy(rgb, class_rgb[size_class(p->slot_size[s])], 3 * sizeof(double));
		return;
	}
	double f = max_age ? (double)(m->when_ns - t->rec[p->slot_event[s]].time_ns) /
			     (double)max_age : 0.0;
	/* new: yellow, old: dark blue */
	rgb[0] = 0.99 - 0.89 * f;
	rgb[1] = 0.85 - 0.65 * f;
	rgb[2] = 0.20 + 0.35 * f;
}

struct cellsum {
	float rgb[3];
	uint32_t held;
};

/* Sum each live range's colour into the cells it covers. */
static struct cellsum *fill_cells(const struct gp_trace *t, const struct replay_prog *p,
				  const struct moment *m, const struct map_opts *o,
				  const struct layout *l)
{
	struct cellsum *cs = calloc(l->cols * l->rows, sizeof(*cs));
	uint64_t max_age = 0;

	if (!cs)
		return NULL;
	for (uint32_t s = 0; s < p->nslots; s++)
		if (m->addr[s] && m->when_ns - t->rec[p->slot_event[s]].time_ns > max_age)
			max_age = m->when_ns - t->rec[p->slot_event[s]].time_ns;
	for (uint32_t s = 0; s < p->nslots; s++) {
		uint64_t base = 0, g, first;
		struct shadow_chunk *c;
		double rgb[3];

		if (!m->addr[s] || !(c = shadow_find(&m->s, m->addr[s])))
			continue;
		for (struct shadow_chunk *k = m->s.chunk; k < c; k++)
			base += k->granules;
		first = base + ((m->addr[s] - c->start) >> m->s.order);
		g = replay_granules(p->slot_size[s], m->s.order);
		slot_rgb(t, p, m, o, s, max_age, rgb);
		for (uint64_t i = first; i < first + g; i++) {
			struct cellsum *x = &cs[i / l->per_cell];

			for (int k = 0; k < 3; k++)
				x->rgb[k] += (float)rgb[k];
			x->held++;
		}
	}
	return cs;
}

static void cell_rgb(const struct layout *l, const struct cellsum *x, double rgb[3])
{
	double f = (double)x->held / (double)l->per_cell;

	for (int k = 0; k < 3; k++)
		rgb[k] = x->held ? f * x->rgb[k] / x->held + (1 - f) * free_rgb[k] : free_rgb[k];
}

/* Cells row by row; a run of equal colours in a row is one rectangle (small SVGs). */
static void draw_cells(cairo_t *cr, const struct layout *l, const struct cellsum *cs,
		       uint64_t granules)
{
	uint64_t ncells = (granules + l->per_cell - 1) / l->per_cell;
	double gap = l->cell >= 6 ? 1 : 0;

	cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE);
	for (uint64_t i = 0; i < ncells;) {
		uint64_t j = i + 1;
		double rgb[3], next[3];

		cell_rgb(l, &cs[i], rgb);
		while (!gap && j < ncells && j % l->cols) {
			cell_rgb(l, &cs[j], next);
			if (memcmp(rgb, next, sizeof(rgb)))
				break;
			j++;
		}
		cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
		cairo_rectangle(cr, l->x0 + (double)(i % l->cols) * l->cell,
				l->y0 + (double)(i / l->cols) * l->cell,
				(double)(j - i) * l->cell - gap, l->cell - gap);
		cairo_fill(cr);
		i = j;
	}
	cairo_set_antialias(cr, CAIRO_ANTIALIAS_DEFAULT);
}

static void draw_chunk_marks(cairo_t *cr, const struct layout *l, const struct moment *m)
{
	uint64_t base = 0;

	cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
	for (size_t i = 0; i < m->s.nchunks; i++) {
		uint64_t cell = base / l->per_cell;
		double x = l->x0 + (double)(cell % l->cols) * l->cell;
		double y = l->y0 + (double)(cell / l->cols) * l->cell;

		cairo_rectangle(cr, x - 1.5, y - 1, 3, l->cell + 2);
		cairo_fill(cr);
		base += m->s.chunk[i].granules;
	}
}

/* @s at (@x, @y) in @size points, smaller if it would pass @maxw pixels. */
static void draw_text(cairo_t *cr, double x, double y, double size, double maxw, const char *s)
{
	cairo_text_extents_t e;

	cairo_set_font_size(cr, size);
	cairo_text_extents(cr, s, &e);
	if (e.x_advance > maxw)
		cairo_set_font_size(cr, 0.97 * size * maxw / e.x_advance);	/* hinting: not quite linear */
	cairo_move_to(cr, x, y);
	cairo_show_text(cr, s);
}

static void draw_title(cairo_t *cr, const char *log, const struct gp_trace *t,
		       const struct replay_prog *p, const struct moment *m,
		       const struct map_opts *o, const struct layout *l)
{
	char line[512], algo[64], u[32], tot[32];
	const char *base = strrchr(log, '/');

	replay_algo_name(&o->cfg, algo, sizeof(algo) - 5);
	strcat(algo, " fit");
	if (o->at < 0)
		snprintf(line, sizeof(line), "genpool map of %s: at the peak of live bytes "
			 "(after event %u of %zu)", base ? base + 1 : log, m->event, t->n);
	else
		snprintf(line, sizeof(line), "genpool map of %s: after event %u of %zu",
			 base ? base + 1 : log, m->event, t->n);
	cairo_set_source_rgb(cr, 0, 0, 0);
	draw_text(cr, MARGIN, 20, 15, (double)o->width - 2 * MARGIN, line);
	snprintf(line, sizeof(line), "%s%s; %d B granules, %zu chunk%s; %s used of %s (%.1f %%), "
		 "fragmentation %.1f %%; a cell is %" PRIu64 " granule%s",
		 p->pool_source ? "the log's own addresses" : "replayed, ", p->pool_source ? "" : algo,
		 1 << m->s.order,
		 m->s.nchunks, m->s.nchunks == 1 ? "" : "s",
		 human_bytes(m->used_granules << m->s.order, u, sizeof(u)),
		 human_bytes(m->total_granules << m->s.order, tot, sizeof(tot)),
		 m->total_granules ? 100.0 * (double)m->used_granules / (double)m->total_granules : 0,
		 100.0 * shadow_fragmentation(&m->s), l->per_cell, l->per_cell == 1 ? "" : "s");
	draw_text(cr, MARGIN, 40, 11, (double)o->width - 2 * MARGIN, line);
}

struct legend_item {
	double rgb[3];
	const char *label;
};

/* The legend's items for the chosen colouring; returns how many. */
static int legend_items(const struct map_opts *o, struct legend_item *it)
{
	int n = 0;

	it[n++] = (struct legend_item){ { free_rgb[0], free_rgb[1], free_rgb[2] }, "free" };
	if (o->age) {
		for (int i = 0; i <= 4; i++) {
			double f = i / 4.0;

			it[n++] = (struct legend_item){ { 0.99 - 0.89 * f, 0.85 - 0.65 * f,
							 0.20 + 0.35 * f },
							i == 0 ? "newest" : i == 4 ? "oldest" : "" };
		}
	} else {
		for (int c = 0; c < NCLASS; c++)
			it[n++] = (struct legend_item){ { class_rgb[c][0], class_rgb[c][1],
							 class_rgb[c][2] }, class_name[c] };
	}
	it[n++] = (struct legend_item){ { 0.1, 0.1, 0.1 }, "chunk start" };
	return n;
}

/* Swatches and labels in one row, the font shrunk until the row fits. */
static void draw_legend(cairo_t *cr, const struct map_opts *o)
{
	struct legend_item it[NCLASS + 8];
	double y = (double)o->height - LEGEND_H / 2.0 + 4, x = MARGIN, size = 11, total = 0;
	double avail = (double)o->width - 2 * MARGIN;
	cairo_text_extents_t e;
	int n = legend_items(o, it);

	cairo_set_font_size(cr, size);
	for (int i = 0; i < n; i++) {
		cairo_text_extents(cr, it[i].label, &e);
		total += 16 + e.x_advance + 14;
	}
	if (total > avail)
		size *= avail / total;
	cairo_set_font_size(cr, size);
	for (int i = 0; i < n; i++) {
		double box = size + 1;

		cairo_set_source_rgb(cr, it[i].rgb[0], it[i].rgb[1], it[i].rgb[2]);
		cairo_rectangle(cr, x, y - box + 2, box, box);
		cairo_fill(cr);
		cairo_set_source_rgb(cr, 0, 0, 0);
		cairo_text_extents(cr, it[i].label, &e);
		cairo_move_to(cr, x + box + 4, y);
		cairo_show_text(cr, it[i].label);
		x += (16 + e.x_advance + 14) * size / 11;
	}
}

static int draw(const char *log, const struct gp_trace *t, const struct replay_prog *p,
		const struct moment *m, const struct map_opts *o, const char *tmp,
		char *err, size_t errlen)
{
	bool svg = has_ext(o->out, ".svg");
	cairo_surface_t *sf = svg ? cairo_svg_surface_create(tmp, (double)o->width, (double)o->height)
				  : cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)o->width,
							       (int)o->height);
	cairo_t *cr;
	struct layout l;
	struct cellsum *cs;
	cairo_status_t st;

	if (svg)	/* width="W" in pixels, as asked, not points */
		cairo_svg_surface_set_document_unit(sf, CAIRO_SVG_UNIT_PX);
	cr = cairo_create(sf);
	plan(&l, o, m->total_granules);
	cs = fill_cells(t, p, m, o, &l);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
	if (cs) {
		draw_cells(cr, &l, cs, m->total_granules);
		draw_chunk_marks(cr, &l, m);
	}
	draw_title(cr, log, t, p, m, o, &l);
	draw_legend(cr, o);
	cairo_destroy(cr);
	st = svg ? (cairo_surface_finish(sf), cairo_surface_status(sf))
		 : cairo_surface_write_to_png(sf, tmp);
	cairo_surface_destroy(sf);
	free(cs);
	if (!cs || st != CAIRO_STATUS_SUCCESS) {
		snprintf(err, errlen, "cannot write %s: %s", o->out,
			 cs ? cairo_status_to_string(st) : "no memory");
		return -1;
	}
	return 0;
}

int cmd_map(int argc, char **argv)
{
	struct map_opts o;
	struct gp_trace t;
	struct replay_prog p;
	struct moment m;
	char err[512], tmp[4200];
	int rc = parse_opts(argc, argv, &o);

	if (rc >= 0)
		return rc;
	if (!has_ext(o.out, ".png") && !has_ext(o.out, ".svg"))
		return bad_input("map", "%s: the output must end in .png or .svg", o.out);
	if (load_prog("map", argv[optind], &t, &p))
		return EXIT_BADINPUT;
	snprintf(tmp, sizeof(tmp), "%s.tmp%d", o.out, (int)getpid());
	rc = build_moment(&t, &p, &o, &m, err, sizeof(err));
	if (!rc)
		rc = draw(argv[optind], &t, &p, &m, &o, tmp, err, sizeof(err));
	if (!rc && rename(tmp, o.out)) {
		snprintf(err, sizeof(err), "cannot write %s", o.out);
		rc = -1;
	}
	if (rc)
		unlink(tmp);
	free(m.addr);
	shadow_fini(&m.s);
	replay_prog_free(&p);
	gp_trace_free(&t);
	return rc ? bad_input("map", "%s", err) : 0;
}
